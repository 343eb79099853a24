"""Calendars the handoff tests share: the regulation's office hours, Monday to Friday."""

MON_FRI = """\
timezone: Asia/Ho_Chi_Minh
office_hours:              # weekdays not listed are days off
  mon: ["07:30-11:30", "13:00-17:00"]
  tue: ["07:30-11:30", "13:00-17:00"]
  wed: ["07:30-11:30", "13:00-17:00"]
  thu: ["07:30-11:30", "13:00-17:00"]
  fri: ["07:30-11:30", "13:00-17:00"]
public_holidays: vietnam
"""
