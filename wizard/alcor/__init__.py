"""Alcor: the facts of its REST contract, and the HTTP client that applies requests."""
