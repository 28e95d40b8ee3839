"""YOLOv8 example plugin."""
