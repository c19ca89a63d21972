"""The daily worklist: playbook rules evaluated against the book to create tasks
(``rules``), and the Today list of open tasks with what a CSM does to one (``today``)."""
