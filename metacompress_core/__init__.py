"""MetaCompress engine: behaviour-preserving code variants, model backends, metamorphic relations."""

__version__ = "0.1.0"
