"""Statements and pages that read the books (statement data, print CSS, WeasyPrint): issue 7."""
