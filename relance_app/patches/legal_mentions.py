"""The mandatory payment mentions (Terms and Conditions) of every French company with a default
policy, on a site installed before them; an existing text is kept."""

from relance_app.setup.legal_mentions import create_legal_mentions


def execute():
	create_legal_mentions()
