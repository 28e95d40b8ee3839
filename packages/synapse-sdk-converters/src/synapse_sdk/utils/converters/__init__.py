"""Dataset converters between the DM format (v1, v2) and YOLO, COCO and Pascal VOC."""
