"""The business of Huzhu: books, funds, grants and campaigns. No Flask import anywhere here."""
