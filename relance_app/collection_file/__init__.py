"""The collection file (dossier de recouvrement): everything a collection agency or a court needs about
one overdue invoice, or all the overdue invoices of a customer with one company, in one PDF.

In this order, each part its own PDF (the ZIP holds them apart, the PDF merges them):

1. cover page (cover.py): creditor and debtor with their legal identifiers, the invoices, principal,
   late interest (one line per period and rate) and fixed indemnity at the date of the file, the
   rates used, the total claimed, the contents with their pages;
2. the invoices, in the print format the relances attach (invoices.py);
3. the customer's statement of account, the one a relance can attach (invoices.py);
4. every relance as sent (relances.py): date, channel, recipients, subject, the body as rendered
   (from its Communication), the delivery status (from the Email Queue);
5. the letters, the mise en demeure (letters.py): sending method, registered-mail number, posting
   and acknowledgement dates, then the letter as it was produced and the scanned acknowledgement;
6. payment promises (kept or broken), disputes and holds (promises.py), and the customer's answers
   and replies, with dates (replies.py);
7. the payments received, from the Payment Ledger (payments.py).

building.py builds it (inline, or as a background job beyond ten invoices), loading.py reads what
every part needs, parts.py renders a part and formats dates and money, assembly.py merges or zips
the parts, saves the File and records it on the timeline, access.py checks who may have it. The
whitelisted methods are in relance_app.api (make_for_invoice, make_for_customer, customer_companies).

The file is in the debtor page's language: the customer's when its policy has templates in it, else
the policy's default language, else French (relance_app.documents.language).
It is saved as a private File attached to the invoice (or the customer) and a Comment records it on
the timeline. Only a user who may read the company, the customer and every invoice gets it.
"""
