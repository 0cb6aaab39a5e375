"""The reference rates shipped with the app, one row per semester, each figure with its source.

- `ecb_rate`: the ECB main refinancing operations rate in force on the semester's first day
  (1 January or 1 July); the legal late-payment rate is that rate + 10 points (Code de commerce
  L441-10). Source: the ECB rate history with its value dates as published by Les Echos Publishing,
  cross-checked where said.
- `legal_interest_rate`: the taux de l'intérêt légal "pour tous les autres cas" (creditors other
  than private individuals), set by arrêté each semester (Code monétaire et financier L313-2).

Semesters we could not source are not shipped: 2026 H2 (ECB rate on 1 July 2026 and the arrêté for
the second half of 2026) was not found in the publications we could read; the Accounts Manager
enters it (the daily reminder asks for it). Importable without Frappe (the data is plain).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from relance_app.engine.models import SemesterRate
from relance_app.engine.penalties import RateTable

ECB_HISTORY = (
	"Taux refi de la BCE par date de valeur (10/09/2014 0,05 % ; 10/03/2016 0,00 % ; 27/07/2022 0,50 % ; "
	"14/09/2022 1,25 % ; 02/11/2022 2,00 % ; 21/12/2022 2,50 % ; 08/02/2023 3,00 % ; 22/03/2023 3,50 % ; "
	"10/05/2023 3,75 % ; 21/06/2023 4,00 % ; 02/08/2023 4,25 % ; 20/09/2023 4,50 % ; 12/06/2024 4,25 % ; "
	"18/09/2024 3,65 % ; 23/10/2024 3,40 % ; 18/12/2024 3,15 % ; 05/02/2025 2,90 % ; 12/03/2025 2,65 % ; "
	"23/04/2025 2,40 %), Les Echos Publishing, https://retout.fr/?p=12408 (also "
	"https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo)"
)
ECB_JUNE_2025 = (
	"2,15 % since 11/06/2025: Banka Slovenije, main refinancing operations at a fixed rate of 2,15 % "
	"settled 11/06, 18/06 and 25/06/2025 (the last one maturing 02/07/2025), "
	"https://apl.bsi.si/orodja/avkcije-en.asp; ECB rates unchanged since the 5 June 2025 meeting, "
	"Boursorama/Reuters 18/12/2025, https://www.boursorama.com/bourse/actualites/"
	"la-bce-maintient-ses-taux-directeurs-210ab868b0d450e04ed0c0103a861247"
)
ECB_DECEMBER_2025 = (
	"2,15 %: the ECB kept its three key rates at its 18 December 2025 meeting (refinancing 2,15 %), "
	"Boursorama/AOF 18/12/2025, https://www.boursorama.com/bourse/actualites/"
	"la-bce-opte-pour-le-statu-quo-pour-la-der-de-l-annee-16d161f02859bc5b813e48f7e2275c65; "
	"unchanged again on 5 February 2026, https://www.brusselstimes.com/eu-affairs/1955847/"
)
LEGAL_TABLE = (
	"Taux de l'intérêt légal, autres cas, table 2015-2025 of "
	"https://www.laclef.eu/index.php/actualites/banque/taux-de-l-interet-legal-au-1er-semestre-2026"
)
LEGAL_2023_H2 = LEGAL_TABLE + "; arrêté ECOT2317028A du 27/06/2023, JO du 30/06/2023 (notaires2normandie.com)"
LEGAL_2025_H2 = LEGAL_TABLE + "; arrêté ECOT2516925A du 19/06/2025, JO du 24/06/2025 (ksca.fr)"
LEGAL_2026_H1 = (
	"Arrêté du 15 décembre 2025, JORF n°0302 du 26/12/2025: 2,62 % pour tous les autres cas, "
	"https://juriblio.fr/arretes/arrete-du-15-decembre-2025/187383136 (also legifiscal.fr)"
)


def _row(start: date, ecb: str, ecb_source: str, legal: str, legal_source: str) -> dict:
	return {
		"semester_start": start,
		"ecb_rate": Decimal(ecb),
		"ecb_source": ecb_source,
		"legal_interest_rate": Decimal(legal),
		"legal_interest_source": legal_source,
	}


# (semester start, ECB rate on that day, its source, taux de l'intérêt légal autres cas, its source)
LEGAL_RATES: tuple[dict, ...] = (
	_row(date(2015, 1, 1), "0.05", ECB_HISTORY, "0.93", LEGAL_TABLE),
	_row(date(2015, 7, 1), "0.05", ECB_HISTORY, "0.99", LEGAL_TABLE),
	_row(date(2016, 1, 1), "0.05", ECB_HISTORY, "1.01", LEGAL_TABLE),
	_row(date(2016, 7, 1), "0.00", ECB_HISTORY, "0.93", LEGAL_TABLE),
	_row(date(2017, 1, 1), "0.00", ECB_HISTORY, "0.90", LEGAL_TABLE),
	_row(date(2017, 7, 1), "0.00", ECB_HISTORY, "0.90", LEGAL_TABLE),
	_row(date(2018, 1, 1), "0.00", ECB_HISTORY, "0.89", LEGAL_TABLE),
	_row(date(2018, 7, 1), "0.00", ECB_HISTORY, "0.88", LEGAL_TABLE),
	_row(date(2019, 1, 1), "0.00", ECB_HISTORY, "0.86", LEGAL_TABLE),
	_row(date(2019, 7, 1), "0.00", ECB_HISTORY, "0.87", LEGAL_TABLE),
	_row(date(2020, 1, 1), "0.00", ECB_HISTORY, "0.87", LEGAL_TABLE),
	_row(date(2020, 7, 1), "0.00", ECB_HISTORY, "0.84", LEGAL_TABLE),
	_row(date(2021, 1, 1), "0.00", ECB_HISTORY, "0.79", LEGAL_TABLE),
	_row(date(2021, 7, 1), "0.00", ECB_HISTORY, "0.76", LEGAL_TABLE),
	_row(date(2022, 1, 1), "0.00", ECB_HISTORY, "0.76", LEGAL_TABLE),
	_row(date(2022, 7, 1), "0.00", ECB_HISTORY, "0.77", LEGAL_TABLE),
	_row(date(2023, 1, 1), "2.50", ECB_HISTORY, "2.06", LEGAL_TABLE),
	_row(date(2023, 7, 1), "4.00", ECB_HISTORY, "4.22", LEGAL_2023_H2),
	_row(date(2024, 1, 1), "4.50", ECB_HISTORY, "5.07", LEGAL_TABLE),
	_row(date(2024, 7, 1), "4.25", ECB_HISTORY, "4.92", LEGAL_TABLE),
	_row(date(2025, 1, 1), "3.15", ECB_HISTORY, "3.71", LEGAL_TABLE),
	_row(date(2025, 7, 1), "2.15", ECB_JUNE_2025, "2.76", LEGAL_2025_H2),
	_row(date(2026, 1, 1), "2.15", ECB_DECEMBER_2025, "2.62", LEGAL_2026_H1),
)


def shipped_rate_table():
	"""The shipped rates as the engine's RateTable (for scripts and tests without a site)."""
	return RateTable(
		SemesterRate(r["semester_start"], r["ecb_rate"], r["legal_interest_rate"]) for r in LEGAL_RATES
	)


def create_legal_rates() -> list[str]:
	"""Create the shipped semesters a site does not have yet; rows already there (perhaps corrected
	by the accountant) are left as they are."""
	import frappe

	created = []
	for row in LEGAL_RATES:
		name = row["semester_start"].isoformat()
		if frappe.db.exists("Relance Legal Rate", name):
			continue
		doc = frappe.get_doc(
			{
				"doctype": "Relance Legal Rate",
				**row,
				"ecb_rate": float(row["ecb_rate"]),
				"legal_interest_rate": float(row["legal_interest_rate"]),
			}
		)
		doc.flags.ignore_permissions = True
		doc.insert()
		created.append(doc.name)
	return created
