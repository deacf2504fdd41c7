"""The admin's status card on the dashboard: is every part the panel relies on there?"""
