"""Name every reason a feed message can be refused for: the dead-letter table's `reason` column.

The feed contract's documentation renders this table, and the hostile-input corpus has a case for each
code (a test checks both ways), so a new reason cannot go undocumented or untested.
"""

from __future__ import annotations

# code -> (stage, meaning). Stages: `decode` (the bytes and the contract, before anything is looked up),
# `apply` (against what the store knows), `store` (the database refused the batch and the message alone).
REASONS: dict[str, tuple[str, str]] = {
    "too_large": ("decode", "longer than `ZHONGSHU_FEED_MAX_BYTES` (checked before decoding; the dead letter "
                            "keeps the first 64 KiB and the true length)"),
    "bad_utf8": ("decode", "the bytes are not UTF-8"),
    "too_deep": ("decode", "arrays/objects nested deeper than 16 (checked before parsing)"),
    "not_finite": ("decode", "`NaN`, `Infinity` or a number too large for a float"),
    "nul_character": ("decode", "a string holds `\\u0000`"),
    "not_json": ("decode", "not JSON text (including lone UTF-16 surrogates in `\\u` escapes)"),
    "not_object": ("decode", "JSON, but not an object"),
    "bad_version": ("decode", "`v` is not 1 (checked before the type)"),
    "unknown_type": ("decode", "`type` is not one of the event types below"),
    "missing_field": ("decode", "a required field is missing"),
    "unknown_field": ("decode", "a field the contract does not have"),
    "wrong_type": ("decode", "a field has the wrong JSON type (`\"12\"` for a number, `1` for a boolean, …); "
                             "no coercion"),
    "off_globe": ("decode", "`lat` outside −90…90 or `lon` outside −180…180"),
    "invalid_value": ("decode", "a value breaks its field's rule (pattern, length, range, enumeration, time "
                                "zone)"),
    "future_timestamp": ("decode", "`at` later than now + `ZHONGSHU_FEED_MAX_FUTURE_SECONDS`"),
    "past_timestamp": ("decode", "`at` earlier than now − `ZHONGSHU_FEED_MAX_AGE_DAYS`"),
    "bad_deadline": ("decode", "`sign_due`/`resolve_due` more than 366 days from the event's `at`"),
    "unknown_place": ("apply", "a township or village code the store does not know"),
    "unknown_department": ("apply", "a department code the store does not know"),
    "unknown_category": ("apply", "a category code missing from `datafeeds/data/categories.json`"),
    "unknown_case": ("apply", "an event for a case that was never registered or is already closed"),
    "duplicate_case": ("apply", "`case.registered` for a `case_no` already registered"),
    "bad_transition": ("apply", "the lifecycle does not allow this event in the case's state (e.g. resolved "
                                "before assigned)"),
    "unknown_alert": ("apply", "`alert.cleared` for an alert that is not active"),
    "store_error": ("store", "the database refused the message (its batch was retried one by one)"),
}
