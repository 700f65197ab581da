"""Local file storage: uploads from the fal clients and generated outputs, served at /files/."""

from ltx_serve.storage.files import FileStore, StoredFile, UploadSession

__all__ = ["FileStore", "StoredFile", "UploadSession"]
