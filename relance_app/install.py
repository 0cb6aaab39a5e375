"""Install and uninstall hooks."""


def after_install():
	"""Nothing to create yet: custom fields and default policies come with their doctypes."""


def before_uninstall():
	"""Nothing to remove yet."""
