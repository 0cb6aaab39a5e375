app_name = "relance_app"
app_title = "Relance"
app_publisher = "relance_app developers"
app_description = "Automatic dunning (relances) of unpaid Sales Invoices for ERPNext, French practice first"
app_email = "dev@relance-app.example"
app_license = "mit"
required_apps = ["frappe/erpnext"]

# Installation
# ------------

after_install = "relance_app.install.after_install"
before_uninstall = "relance_app.install.before_uninstall"

# Testing
# -------

before_tests = "relance_app.utils.before_tests"
