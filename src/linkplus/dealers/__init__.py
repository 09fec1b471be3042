"""Dealer directory and each owner's preferred dealer."""
