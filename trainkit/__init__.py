"""Trainkit: builds offline digital-security workshop packs from modular lessons."""

__version__ = "0.1.0"
