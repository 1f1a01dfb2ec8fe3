"""Zhengjiao (征缴): collection of social insurance contributions for a Chinese province."""

__version__ = "0.1.0"
