"""Real-data layer: raw-source readers, treatment coding, attributes, build and the ``real_panel`` API."""
