"""Domains, dataset families and the data module pairing source and target."""
