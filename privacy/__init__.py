"""Citizens' personal data under Law 91/2025/QH15 and Decree 356/2025/NĐ-CP (issue 18): data
requests and their deadlines, anonymisation, retention with legal holds, the access log per
contact, the breach register. Domain layer: storage below, ``bot/`` above."""
