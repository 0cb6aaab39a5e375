"""Small helpers shared by the Frappe side."""

import frappe
from frappe.utils import now_datetime


def before_tests():
	"""Complete ERPNext's setup with a French company in EUR when the site has none.

	The test runner only calls the tested app's own `before_tests`, so a fresh site (as CI makes)
	needs this to have a Company, a fiscal year and a chart of accounts.
	"""
	frappe.clear_cache()
	if not frappe.db.a_row_exists("Company"):
		from frappe.desk.page.setup_wizard.setup_wizard import setup_complete

		year = now_datetime().year
		setup_complete(
			{
				"currency": "EUR",
				"full_name": "Test User",
				"company_name": "Relance Test SARL",
				"timezone": "Europe/Paris",
				"company_abbr": "RTS",
				"industry": "Services",
				"country": "France",
				"fy_start_date": f"{year}-01-01",
				"fy_end_date": f"{year}-12-31",
				"language": "english",
				"company_tagline": "Testing",
				"email": "test@relance-app.example",
				"password": "test",
				"chart_of_accounts": "Standard",
			}
		)
	frappe.db.commit()  # nosemgrep: the test runner expects the setup to be committed
