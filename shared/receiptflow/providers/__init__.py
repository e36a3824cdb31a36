"""Providers that read a normalised document into a receipt, and the chain around them."""
