"""Simulator of the 情報提供ネットワークシステム (national linkage hub) and an income-data provider.

The national interfaces are not public; this process keeps the same shape as the statute's flow
(番号法 §21, §21-2, §23; interfaces.md §6) so the gateway's adapter can later point at a city's
real connection instead:

- 符号 (`linkage_code`): per agency, stable, not derivable from the 個人番号 (HMAC with the
  simulator's secret) — `POST /linkage-codes`.
- 照会許可用照合リスト check and 情報提供許可証 (`certificate`) with an expiry — `POST /certificates`.
- 地方税関係情報 (所得) for (符号, 年度) from seeded data — `POST /income-queries`, idempotent per
  `request_id`; `GET /income-queries/{request_id}` returns an answer that was produced after the
  caller gave up waiting (late answer).
- Faults for tests and the demo: per request (`X-Sim-Fault` header) or for the next N requests
  (`POST /admin/faults`): latency, timeout, 5xx, malformed answer, no data, down.
"""
