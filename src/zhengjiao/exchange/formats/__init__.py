"""Wire formats shared by the sides (pure Python, no Django): bank withholding files."""
