"""The book of business: the accounts table with its filters (``accounts``), one account's
page (``account_detail``: header, facts, contacts, timeline), segments and their bands
(``segments``) and what is in the book file (``info``)."""
