"""Hypothesis strategies the property tests share: dates over twelve years, positive amounts in cents."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import strategies as st


def dates_from(start: date):
	"""A day of the twelve years from `start`."""
	return st.integers(0, 12 * 366).map(lambda n: start + timedelta(days=n))


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2)
