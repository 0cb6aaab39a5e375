"""One way to read and bound the arguments of a whitelisted method.

Declare every parameter once, next to the method::

        @frappe.whitelist(methods=["POST"])
        @args.checked(
            roles=args.MANAGERS,
            sales_invoice=args.Doc("Sales Invoice", perm="write"),
            until=args.Date(required=False),
            names=args.DocList("Relance Log"),
        )
        def method(sales_invoice, names, until=None): ...

Before the method runs, in this order: the caller's roles and the doctypes they must read
(PermissionError); unknown or missing
arguments (InvalidArgumentError); each argument read and bounded in the order of the signature
(InvalidArgumentError, a ValidationError); the named documents exist (DoesNotExistError); the caller
may read or change them (PermissionError). Every refusal is a translated `frappe.throw` with a title,
raised before anything is written. The method receives plain values: `datetime.date`, `int`,
`bool`, `str`, `list[str]`.

`checked` refuses, at import, a method with a parameter that has no spec: a new whitelisted method
cannot skip the door. The specs stay readable on the function (`specs_of`), so the integration test
generates bad arguments for every method of `relance_app.api` from them.
"""

from __future__ import annotations

import datetime
import functools
import inspect
import json
import re
from collections.abc import Callable, Iterable

import frappe
from frappe import _
from frappe.permissions import get_role_permissions
from frappe.utils import escape_html, getdate, today

from relance_app.exceptions import InvalidArgumentError

MANAGERS = ("Accounts Manager", "System Manager")
ACCOUNTS = ("Accounts Manager", "Accounts User", "System Manager")
NAME_LENGTH = 140  # Frappe's name column
MIN_DATE = datetime.date(2000, 1, 1)
MAX_DATE = datetime.date(2099, 12, 31)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
INTEGER = re.compile(r"^[+-]?\d{1,18}$")
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}
SPECS = "__relance_args__"


def shown(value, limit: int = 60) -> str:
	"""An argument as a message may quote it: short, and escaped (messages are shown as HTML)."""
	text = value if isinstance(value, str) else repr(value)
	if len(text) > limit:
		text = text[:limit] + "…"
	return escape_html(text)


def refuse(message: str, exc=InvalidArgumentError, title: str | None = None):
	frappe.throw(message, exc, title=title or _("Invalid Argument"))


class Arg:
	"""An argument: required or with a default, read by `parse`."""

	kind = "value"

	def __init__(self, required: bool = True, default=None):
		self.required = required
		self.default = default
		self.name = ""

	def read(self, value):
		if value is None or (isinstance(value, str) and not value.strip()):
			if self.required:
				refuse(_("{0} is required.").format(self.name), title=_("Missing Argument"))
			return self.default
		return self.parse(value)

	def parse(self, value):
		return value

	def wrong(self, value, expected: str):
		refuse(_("{0} must be {1}, not {2}.").format(self.name, expected, shown(value)))


class Date(Arg):
	"""A date: a `date` or an ISO string YYYY-MM-DD, between `minimum` and `maximum` ("today" allowed)."""

	kind = "date"

	def __init__(self, required=True, default=None, minimum=MIN_DATE, maximum=MAX_DATE):
		super().__init__(required, default)
		self.minimum, self.maximum = minimum, maximum

	def bound(self, which):
		return getdate(today()) if which == "today" else which

	def parse(self, value):
		if isinstance(value, datetime.datetime):
			day = value.date()
		elif isinstance(value, datetime.date):
			day = value
		elif isinstance(value, str) and ISO_DATE.match(value.strip()):
			try:
				day = datetime.date.fromisoformat(value.strip())
			except ValueError:
				self.wrong(value, _("an existing date (YYYY-MM-DD)"))
		else:
			self.wrong(value, _("a date (YYYY-MM-DD)"))
		low, high = self.bound(self.minimum), self.bound(self.maximum)
		if not low <= day <= high:
			refuse(
				_("{0} must be between {1} and {2}, not {3}.").format(
					self.name, frappe.format(low, "Date"), frappe.format(high, "Date"), shown(value)
				),
				title=_("Date Out of Range"),
			)
		return day


class Int(Arg):
	"""A whole number between `minimum` and `maximum`; above `maximum` with `cap`, the maximum is used
	and the caller is told (`cap_message`: a callable returning the translated text, {0} the argument,
	{1} the maximum, {2} the value asked)."""

	kind = "int"

	def __init__(self, required=False, default=None, minimum=0, maximum=10**6, cap=False, cap_message=None):
		super().__init__(required, default)
		self.minimum, self.maximum, self.cap, self.cap_message = minimum, maximum, cap, cap_message

	def parse(self, value):
		if isinstance(value, bool):
			self.wrong(value, _("a whole number"))
		if isinstance(value, float) and value.is_integer():
			value = int(value)
		if isinstance(value, str) and INTEGER.match(value.strip()):
			value = int(value.strip())
		if not isinstance(value, int):
			self.wrong(value, _("a whole number"))
		if value < self.minimum:
			refuse(
				_("{0} must be at least {1}, not {2}.").format(self.name, self.minimum, value),
				title=_("Number Out of Range"),
			)
		if value > self.maximum:
			if not self.cap:
				refuse(
					_("{0} must be at most {1}, not {2}.").format(self.name, self.maximum, shown(value)),
					title=_("Number Out of Range"),
				)
			frappe.msgprint(
				(
					self.cap_message() if self.cap_message else _("{0} is limited to {1}; {2} was asked.")
				).format(self.name, self.maximum, shown(value)),
				title=_("Limit Applied"),
				indicator="orange",
			)
			value = self.maximum
		return value


class Bool(Arg):
	"""A yes/no: a bool, 0 or 1, or one of true/false, yes/no, on/off."""

	kind = "bool"

	def __init__(self, default=False):
		super().__init__(required=False, default=default)

	def read(self, value):
		if value is None:
			return self.default
		return self.parse(value)

	def parse(self, value):
		if isinstance(value, bool):
			return value
		if isinstance(value, int) and value in (0, 1):
			return bool(value)
		if isinstance(value, str) and value.strip().lower() in TRUE | FALSE:
			return value.strip().lower() in TRUE
		self.wrong(value, _("yes or no (1 or 0)"))


class Choice(Arg):
	"""One of `options`."""

	kind = "choice"

	def __init__(self, options: Iterable[str], required=True, default=None):
		super().__init__(required, default)
		self.options = tuple(options)

	def parse(self, value):
		if not isinstance(value, str) or value not in self.options:
			refuse(
				_("{0} must be one of {1}, not {2}.").format(
					self.name, ", ".join(_(o) for o in self.options), shown(value)
				)
			)
		return value


class Text(Arg):
	"""Free text of at most `max_length` characters."""

	kind = "text"

	def __init__(self, required=False, default=None, max_length=1000):
		super().__init__(required, default)
		self.max_length = max_length

	def parse(self, value):
		if not isinstance(value, str):
			self.wrong(value, _("a text"))
		value = value.strip()
		if len(value) > self.max_length:
			refuse(
				_("{0} is {1} characters long; at most {2} are accepted.").format(
					self.name, len(value), self.max_length
				),
				title=_("Text Too Long"),
			)
		return value


def _name(arg: Arg, value) -> str:
	if not isinstance(value, str):
		arg.wrong(value, _("the name of a {0}").format(_(arg.doctype)))
	value = value.strip()
	if not value or len(value) > NAME_LENGTH:
		refuse(
			_("{0}: {1} is not the name of a {2}.").format(arg.name, shown(value), _(arg.doctype)),
			frappe.DoesNotExistError,
			title=_("Not Found"),
		)
	return value


def _not_found(arg: Arg, names: list[str]):
	refuse(
		_("{0} {1} does not exist.").format(_(arg.doctype), ", ".join(shown(n) for n in names[:5])),
		frappe.DoesNotExistError,
		title=_("Not Found"),
	)


def _check_permission(arg: Arg, name: str):
	if arg.perm and not frappe.has_permission(arg.doctype, arg.perm, name):
		message = (
			_("You are not allowed to see {0} {1}.")
			if arg.perm == "read"
			else _("You are not allowed to change {0} {1}.")
		)
		refuse(message.format(_(arg.doctype), shown(name)), frappe.PermissionError, _("Not Permitted"))


class Doc(Arg):
	"""The name of an existing document of `doctype` the caller may `perm` (read, write; None: no
	document permission checked, the method checks its own)."""

	kind = "doc"

	def __init__(self, doctype: str, perm: str | None = "read", required=True):
		super().__init__(required, None)
		self.doctype, self.perm = doctype, perm

	def parse(self, value):
		name = _name(self, value)
		if not frappe.db.exists(self.doctype, name):
			_not_found(self, [name])
		_check_permission(self, name)
		return name


class DocList(Arg):
	"""Names of existing documents of `doctype`: a list, or a JSON list in a string; 1 to
	`max_items`, duplicates dropped."""

	kind = "doclist"

	def __init__(self, doctype: str, perm: str | None = "read", max_items=500, required=True):
		super().__init__(required, None)
		self.doctype, self.perm, self.max_items = doctype, perm, max_items

	def parse(self, value):
		if isinstance(value, str):
			try:
				value = json.loads(value)
			except ValueError:
				refuse(
					_('{0} must be a JSON list of names, like ["A", "B"], not {1}.').format(
						self.name, shown(value)
					),
					title=_("Invalid List"),
				)
		if not isinstance(value, list | tuple):
			self.wrong(value, _("a list of names"))
		if not value:
			refuse(_("{0} lists no document.").format(self.name), title=_("Missing Argument"))
		if len(value) > self.max_items:
			refuse(
				_("{0} lists {1} documents; at most {2} at a time.").format(
					self.name, len(value), self.max_items
				),
				title=_("Too Many Documents"),
			)
		names = list(dict.fromkeys(_name(self, v) for v in value))
		found = set(frappe.get_all(self.doctype, filters={"name": ("in", names)}, pluck="name"))
		missing = [n for n in names if n not in found]
		if missing:
			_not_found(self, missing)
		for name in names:
			_check_permission(self, name)
		return names


def require_roles(roles: Iterable[str]):
	if not set(roles) & set(frappe.get_roles()):
		refuse(
			_("Only a user with one of the roles {0} can do this.").format(", ".join(_(r) for r in roles)),
			frappe.PermissionError,
			_("Not Permitted"),
		)


def require_read(doctypes: Iterable[str]):
	"""The caller's roles read each of `doctypes` (a document shared with them is not enough: what reads
	many documents at once applies the User Permissions on top, relance_app.data.invoices.readable)."""
	for doctype in doctypes:
		if not get_role_permissions(frappe.get_meta(doctype)).get("read"):
			refuse(
				_("You are not allowed to read {0}.").format(_(doctype)),
				frappe.PermissionError,
				_("Not Permitted"),
			)


def checked(roles: Iterable[str] | None = None, reads: Iterable[str] | None = None, **specs: Arg) -> Callable:
	"""Decorator: the method's arguments, read and bounded by `specs` (one per parameter); before them,
	the caller has one of `roles` and reads each doctype of `reads` (require_read)."""

	def decorate(fn):
		params = inspect.signature(fn).parameters
		unknown = set(specs) - set(params)
		undeclared = set(params) - set(specs)
		if unknown or undeclared:
			raise TypeError(
				f"{fn.__qualname__}: specs for unknown parameters {sorted(unknown)}, "
				f"parameters without a spec {sorted(undeclared)}"
			)
		for name, spec in specs.items():
			spec.name = name
			if params[name].default is not inspect.Parameter.empty:
				spec.required = False
				if spec.default is None:
					spec.default = params[name].default

		@functools.wraps(fn)
		def wrapper(*args, **kwargs):
			if roles:
				require_roles(roles)
			if reads:
				require_read(reads)
			if len(args) > len(params):
				refuse(_("Too many arguments."))
			values = dict(zip(params, args, strict=False))
			for key, value in kwargs.items():
				if key not in params:
					refuse(_("Unknown argument {0}.").format(shown(key)))
				if key in values:
					refuse(_("Argument {0} given twice.").format(shown(key)))
				values[key] = value
			parsed = {name: spec.read(values.get(name)) for name, spec in specs.items()}
			return fn(**parsed)

		wrapper.__annotations__ = {}  # this parser, not Frappe's type coercion, reads the arguments
		setattr(
			wrapper, SPECS, {"roles": tuple(roles or ()), "reads": tuple(reads or ()), "args": dict(specs)}
		)
		return wrapper

	return decorate


def specs_of(fn) -> dict | None:
	"""The specs `checked` attached to `fn` (through Frappe's own wrappers), or None."""
	while fn is not None:
		found = getattr(fn, SPECS, None)
		if found is not None:
			return found
		fn = getattr(fn, "__wrapped__", None)
	return None
