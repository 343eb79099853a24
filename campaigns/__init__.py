"""Announcements to a channel's followers (Zalo OA "tin truyền thông", article broadcasts):
campaigns, their audience, four-eyes approval, sending within the allowed hours and each
recipient's outcome (issue 17). Domain layer: storage below, ``bot/`` above."""
