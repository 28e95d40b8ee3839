"""Storage: one API over local disk, S3/MinIO, GCS, SFTP and HTTP, built on fsspec."""
