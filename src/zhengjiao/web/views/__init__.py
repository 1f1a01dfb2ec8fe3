"""Web views, one module per area. Each view parses input, calls one query or operation, renders."""
