"""Publication dates: from a feed/sitemap/page field, or from the URL path.

Pure (no I/O). Regex fast paths handle ISO 8601, RFC 822, "DD.MM.YYYY[ HH:MM]",
compact digits, relative phrases and Russian/Ukrainian/English month names in
microseconds; dateparser is the slow fallback for whatever is left. A string
without a time of day comes back as a ``date``; with one, as an aware ``datetime``
(wall-clock times without an offset are read in ``tz``, else UTC).
"""
from __future__ import annotations

import email.utils
import re
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

__all__ = ["from_url", "parse_date", "plausible", "resolve", "to_iso", "day_of", "in_window"]

_MIN_YEAR = 1990
_MONTHS: dict[str, int] = {}
for _n, _names in enumerate((
    "январь января янв jan january січень січня січ",
    "февраль февраля фев февр feb february лютий лютого лют",
    "март марта мар mar march березень березня бер",
    "апрель апреля апр apr april квітень квітня квіт",
    "май мая may травень травня трав",
    "июнь июня июн jun june червень червня черв",
    "июль июля июл jul july липень липня лип",
    "август августа авг aug august серпень серпня серп",
    "сентябрь сентября сен сент sep sept september вересень вересня вер",
    "октябрь октября окт oct october жовтень жовтня жовт",
    "ноябрь ноября ноя нояб nov november листопад листопада лист",
    "декабрь декабря дек dec december грудень грудня груд",
), start=1):
    for _w in _names.split():
        _MONTHS[_w] = _n
_MON = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ZONES = {"z": 0, "ut": 0, "utc": 0, "gmt": 0, "edt": -4, "est": -5, "cdt": -5, "cst": -6,
          "mdt": -6, "mst": -7, "pdt": -7, "pst": -8, "bst": 1, "cet": 1, "cest": 2,
          "eet": 2, "eest": 3}
_ZONE = r"(?:z|utc|gmt|ut|[ecmp][sd]t|bst|cest|cet|eest|eet)(?![^\W\d_])"
_OFFSET = r"[+-]\d{2}(?::?\d{2})?"

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[t ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
                  rf"\s*({_ZONE}|{_OFFSET})?)?")
_RFC = re.compile(r"(?:[a-z]{2,9},?\s+)?\d{1,2}\s+[a-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?"
                  r"\s*(?:[+-]\d{4}|ut|utc|gmt|z|[ecmp][sd]t)?")
_TIME = r"(\d{1,2}):(\d{2})(?::(\d{2}))?"
_DOTTED = re.compile(rf"(?:{_TIME}\s*,?\s*)?(\d{{1,2}})[./](\d{{1,2}})[./](\d{{4}}|\d{{2}})"
                     rf"(?:\s*(?:,|в|at|-|–|—)?\s*{_TIME})?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?")
_LABEL = re.compile(r"^(?:опубликовано|опубликован[ао]?|обновлено|обновлен[ао]?|изменено|дата"
                    r"(?: публикации| обновления)?|published|updated|last updated|posted|modified"
                    r"|date)\b\s*(?:on|at|в)?\s*[:\-–—]?\s*")
_MSK = re.compile(r"\(?\b(?:по\s+)?(?:мск|msk)\b\)?|по\s+московскому\s+времени")
_YEAR_G = re.compile(r"(?<!\d)(\d{4})\s*(?:года|год|г\.|г(?![^\W\d_]))")
_DMY = re.compile(rf"(?<!\d)(\d{{1,2}})(?:-?(?:го|е|st|nd|rd|th))?[\s-]*({_MON})(?![^\W\d_])\.?"
                  r"(?:[\s,-]*(\d{4})(?!\d))?")
_MDY = re.compile(rf"(?<![^\W\d_])({_MON})(?![^\W\d_])\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?!\d)"
                  r",?(?:\s+(\d{4})(?!\d))?")
_CLOCK = re.compile(rf"(?<![\d:]){_TIME}(?!\d)(?:\s*([ap])\.?\s?m\b\.?)?"
                    rf"(?:\s*({_ZONE}|{_OFFSET})(?!\d))?")
_REL_DAY = re.compile(rf"(сегодня|today|вчера|yesterday|позавчера)\b[\s,]*(?:(?:в|at)\s*)?(?:{_TIME})?")
_AGO = re.compile(r"(\d+|an?|одну|один|одна|две|два|три|пять)?\s*([^\W\d_]+)\.?\s+(?:назад|ago)")
_NUM_WORDS = {"a": 1, "an": 1, "одну": 1, "один": 1, "одна": 1, "две": 2, "два": 2, "три": 3, "пять": 5}
_UNITS = (("полчаса", "minutes"), ("sec", "seconds"), ("сек", "seconds"), ("min", "minutes"),
          ("мин", "minutes"), ("hour", "hours"), ("hr", "hours"), ("час", "hours"), ("day", "days"),
          ("дн", "days"), ("день", "days"), ("week", "weeks"), ("недел", "weeks"))
_EXTRA_ZONE_WORD = re.compile(r"\b(?:[ecmpah][sd]t|bst|ist|cest|cet|eest|eet|aest|aedt|jst|kst|hkt|sgt)\b")


def _zone(tz: str | None):
    try:
        return ZoneInfo(tz) if tz else timezone.utc
    except Exception:                                # an unknown zone name: UTC, not an error
        return timezone.utc


def _offset(token: str | None, fallback):
    """"+03:00", "+0300", "+03", "gmt", "edt" -> a fixed offset; nothing -> ``fallback``."""
    if not token:
        return fallback
    if token in _ZONES:
        return timezone(timedelta(hours=_ZONES[token]))
    digits = token[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) >= 4 else 0)
    return timezone(timedelta(minutes=-minutes if token[0] == "-" else minutes))


def _base(relative_base: datetime | None, zone) -> datetime:
    base = relative_base or datetime.now(timezone.utc)      # a naive base is taken as UTC
    return (base if base.tzinfo else base.replace(tzinfo=timezone.utc)).astimezone(zone)


def _clean(raw: str) -> tuple[str, bool]:
    s = raw.replace("\xa0", " ").replace("\u202f", " ").replace("\u2009", " ").lower().replace("ё", "е")
    s = " ".join(s.split())
    while (s2 := _LABEL.sub("", s)) != s:
        s = s2
    s, n_msk = _MSK.subn(" ", s)
    s = _YEAR_G.sub(r"\1", s)
    return " ".join(s.split()).strip(" ,;|•·"), bool(n_msk)


def _year(y: str) -> int:                         # "22" -> 2022, "98" -> 1998
    return int(y) if len(y) == 4 else int(y) + (2000 if int(y) < 70 else 1900)


def _dt(y, mo, d, hh, mm, ss, tzinfo, micro: int = 0) -> datetime:
    return datetime(int(y), int(mo), int(d), int(hh), int(mm), int(ss or 0), micro, tzinfo=tzinfo)


def _past_year(mo: int, d: int, base: datetime) -> date:
    for back in range(0, 9):                       # 9 years covers a 29 February
        try:
            cand = date(base.year - back, mo, d)
        except ValueError:
            continue
        if cand <= base.date():
            return cand
    raise ValueError("no such day")


def _fast(s: str, zone) -> date | datetime | None:
    m = _ISO.fullmatch(s)
    if m:
        y, mo, d, hh, mi, ss, frac, off = m.groups()
        if hh is None:
            return date(int(y), int(mo), int(d))
        return _dt(y, mo, d, hh, mi, ss, _offset(off, zone), int((frac or "0")[:6].ljust(6, "0")))
    if _RFC.fullmatch(s):
        t = email.utils.parsedate_tz(s)
        if t:
            tzinfo = zone if t[9] is None else timezone(timedelta(seconds=t[9]))
            return datetime(*t[:6], tzinfo=tzinfo)
    m = _DOTTED.fullmatch(s)
    if m:
        h1, m1, s1, d, mo, y, h2, m2, s2 = m.groups()
        if h1 and h2:
            return None
        if h1 or h2:
            return _dt(_year(y), mo, d, h1 or h2, m1 or m2, s1 or s2, zone)
        return date(_year(y), int(mo), int(d))
    m = _COMPACT.fullmatch(s)
    if m:
        y, mo, d, hh, mi, ss = m.groups()
        return date(int(y), int(mo), int(d)) if hh is None else _dt(y, mo, d, hh, mi, ss, zone)
    return None


def _relative(s: str, zone, relative_base: datetime | None) -> date | datetime | None:
    m = _REL_DAY.fullmatch(s)
    if m:
        back = {"сегодня": 0, "today": 0, "вчера": 1, "yesterday": 1, "позавчера": 2}[m.group(1)]
        day = _base(relative_base, zone).date() - timedelta(days=back)
        if m.group(2) is None:
            return day
        return _dt(day.year, day.month, day.day, m.group(2), m.group(3), m.group(4), zone)
    m = _AGO.fullmatch(s)
    if m:
        num, word = m.groups()
        n = 30 if word == "полчаса" else int(_NUM_WORDS.get(num, num) if num else 1)
        unit = next((u for prefix, u in _UNITS if word.startswith(prefix)), None)
        if unit is None:
            return None
        when = _base(relative_base, zone) - timedelta(**{unit: n})
        return when.date() if unit in ("days", "weeks") else when
    m = re.fullmatch(_TIME, s)                       # a bare "14:30": the latest such moment
    if m:
        base = _base(relative_base, zone)
        when = base.replace(hour=int(m[1]), minute=int(m[2]), second=int(m[3] or 0), microsecond=0)
        return when - timedelta(days=1) if when > base + timedelta(minutes=5) else when
    return None


def _by_hand(s: str, zone, relative_base: datetime | None) -> date | datetime | None:
    """Day + month name (+ year) (+ time): Russian, Ukrainian, English orders."""
    m = _DMY.search(s)
    if m:
        d, mon, y = m.group(1), m.group(2), m.group(3)
    else:
        m = _MDY.search(s)
        if not m:
            return None
        mon, d, y = m.group(1), m.group(2), m.group(3)
    rest = s[:m.start()] + " " + s[m.end():]
    c = _CLOCK.search(rest)
    if c:
        rest = rest[:c.start()] + " " + rest[c.end():]
    if re.search(r"\d", rest) or _EXTRA_ZONE_WORD.search(rest):
        return None                                  # something else is there: let dateparser try
    mo, day = _MONTHS[mon], int(d)
    if y:
        base_day = date(int(y), mo, day)
    else:
        base_day = _past_year(mo, day, _base(relative_base, zone))
    if not c:
        return base_day
    hh, mi, ss, ampm, off = c.groups()
    hh = int(hh)
    if ampm:
        hh = hh % 12 + (12 if ampm == "p" else 0) if 1 <= hh <= 12 else 99   # 99: rejected
    return _dt(base_day.year, mo, day, hh, mi, ss, _offset(off, zone))


@lru_cache(maxsize=32)
def _parser(languages: tuple[str, ...], tz: str, relative_base: datetime | None):
    from dateparser.date import DateDataParser      # imported lazily: it costs ~0.3 s
    settings = {"PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": True, "TIMEZONE": tz,
                "RETURN_TIME_AS_PERIOD": True, **({"RELATIVE_BASE": relative_base} if relative_base else {})}
    return DateDataParser(languages=list(languages), settings=settings)


def _languages(lang: str | None) -> tuple[str, ...]:
    code = (lang or "ru").lower().replace("_", "-").split("-")[0]
    return {"ru": ("ru", "en"), "en": ("en", "ru"), "uk": ("uk", "ru", "en")}.get(code, (code, "ru", "en"))


def _dateparser(s: str, lang: str | None, tz: str | None, relative_base) -> date | datetime | None:
    if relative_base is not None:   # dateparser reads relative wall-clock times in the base's zone
        relative_base = _base(relative_base, _zone(tz))
    data = _parser(_languages(lang), tz or "UTC", relative_base).get_date_data(s)
    dt, parts = data.date_obj, tuple(getattr(data, "parts", ()) or ())
    if dt is None or ("day" not in parts if parts else data.period not in ("day", "time", "week")):
        return None                                  # "March 2015", "2014": no day, no answer
    if not ("time" in parts if parts else data.period == "time"):
        return dt.date()
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=_zone(tz))
    return dt.astimezone(timezone(dt.utcoffset()))


def parse_date(raw: str, *, lang: str | None = None, relative_base: datetime | None = None,
               tz: str | None = None) -> date | datetime | None:
    """A date when ``raw`` has only a day, an aware datetime when it has a time, else None."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 300:
        return None
    try:
        s, msk = _clean(raw)
        tz = "Europe/Moscow" if msk else tz
        zone = _zone(tz)
        value = _fast(s, zone)
        if value is None:
            value = _relative(s, zone, relative_base)
        if value is None:
            value = _by_hand(s, zone, relative_base)
        return value if value is not None else _dateparser(s, lang, tz, relative_base)
    except Exception:                                # bad day numbers, overflow, dateparser quirks
        return None


_URL_PATTERNS = (  # (regex, order of year/month/day groups), most specific first
    (re.compile(r"/(\d{4})/(\d{1,2})/(\d{1,2})(?=[/._-]|$)"), "ymd"),
    (re.compile(r"/(\d{4})/([a-z]{3,4})/(\d{1,2})(?=/|$)"), "ymd"),
    (re.compile(r"(?<![0-9])(\d{4})-(\d{2})-(\d{2})(?![0-9])"), "ymd"),
    (re.compile(r"/(\d{1,2})/(\d{1,2})/(\d{4})(?=/|$)"), "dmy"),
    (re.compile(r"/(\d{4})(\d{2})(\d{2})(?=[/_-])"), "ymd"),
)


def from_url(url: str) -> date | None:
    """The publication day written in a URL's path, if any and plausible."""
    try:
        path = urlsplit(url).path.lower()
    except Exception:
        return None
    for rx, order in _URL_PATTERNS:
        for m in rx.finditer(path):
            a, b, c = m.groups()
            y, mo, d = (a, b, c) if order == "ymd" else (c, b, a)
            mo = _MONTHS.get(mo, 0) if not mo.isdigit() else int(mo)
            try:
                found = date(int(y), mo, int(d))
            except ValueError:
                continue
            if plausible(found):
                return found
    return None


def plausible(value: date | datetime) -> bool:
    """A publication date that can be true: from 1990 (the news web) to tomorrow (UTC; a
    page dated in a time zone ahead of UTC)."""
    day = value.date() if isinstance(value, datetime) else value
    return _MIN_YEAR <= day.year and day <= datetime.now(timezone.utc).date() + timedelta(days=1)


def resolve(*, raw: str | None = None, url: str | None = None, lang: str | None = None,
            relative_base: datetime | None = None, tz: str | None = None
            ) -> tuple[date | datetime | None, str | None]:
    """(value, "field" | "url" | None): the field first, then the URL; never raises."""
    try:
        value = parse_date(raw, lang=lang, relative_base=relative_base, tz=tz) if raw else None
        if value is not None and plausible(value):
            return value, "field"
        found = from_url(url) if url else None
        return (found, "url") if found else (None, None)
    except Exception:
        return None, None


def to_iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def day_of(value: date | datetime, tz: str | None = None) -> date:
    """The calendar day of ``value``: in ``tz`` if given, else in its own offset."""
    if isinstance(value, datetime) and tz:          # a naive datetime is taken as UTC
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(_zone(tz)).date()
    return value.date() if isinstance(value, datetime) else value


def in_window(value: date | datetime | None, start: date, end: date, *, slack_days: int = 0) -> bool | None:
    if value is None:
        return None
    slack = timedelta(days=slack_days)
    return start - slack <= day_of(value) <= end + slack
