"""The PySide6 desktop: the only package that imports Qt."""
