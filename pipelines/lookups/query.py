"""What a lookup asks for: a folio, a document (cfn), or a book and page — exactly one."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, model_validator

from pipelines.county.values import normalize_folio

# `[0-9]`, never `\d`: `\d` also matches `３` or `٣`, which int() would quietly convert.
CFN = re.compile(r"^([0-9]{4})-([0-9]{1,9})$")
DIGITS = re.compile(r"^[0-9]{1,9}$")
FOLIO = re.compile(r"^[0-9-]+$")
FOLIO_FORM = "MM-TRSS-SSS-PPPP: digits 0-9 and dashes only"


class LookupQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    folio: str | None = None
    cfn: str | None = None
    book: str | None = None
    page: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self):
        given = [k for k in ("folio", "cfn") if getattr(self, k)]
        if self.book or self.page:
            if not (self.book and self.page):
                raise ValueError("book and page go together: give both")
            given.append("book_page")
        if len(given) != 1:
            raise ValueError("give exactly one of: folio, cfn, or book with page")
        if self.folio:
            folio = normalize_folio(self.folio) if FOLIO.match(self.folio) else None
            if folio is None:
                raise ValueError(f"folio {self.folio!r} is not a 13-digit folio ({FOLIO_FORM})")
            self.folio = folio
        if self.cfn:
            m = CFN.match(self.cfn)
            if not m:
                raise ValueError(f"cfn {self.cfn!r} is not YYYY-NNNNNNN")
            self.cfn = f"{m.group(1)}-{int(m.group(2)):07d}"  # the staged tables' form
        for name in ("book", "page"):
            value = getattr(self, name)
            if value and not DIGITS.match(value):
                raise ValueError(f"{name} {value!r} is not a number")
        return self

    @property
    def kind(self) -> str:
        return "folio" if self.folio else "cfn" if self.cfn else "book_page"

    @property
    def value(self) -> str:
        return self.folio or self.cfn or f"{self.book}/{self.page}"

    @classmethod
    def from_stored(cls, kind: str, value: str) -> LookupQuery:
        if kind == "book_page":
            book, page = value.split("/", 1)
            return cls(book=book, page=page)
        return cls(**{kind: value})

    def api_params(self) -> dict[str, str]:
        """The records API's query parameters for this lookup (docs/decisions.md#lookups)."""
        if self.folio:
            return {"folioNumber": self.folio}
        if self.cfn:
            year, seq = self.cfn.split("-")
            return {"cfnYear": year, "cfnSeq": str(int(seq))}
        return {"book": self.book, "page": self.page}
