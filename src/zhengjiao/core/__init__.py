"""Shared kernel: pure values and rules, no Django."""
