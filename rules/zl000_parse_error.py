"""ZL000: a file that zlint reads but cannot decode or parse."""

from __future__ import annotations

from typing import ClassVar, Iterable

from zlint.rule import Invalid, Rule, Valid


class ParseError(Rule):
    """A file that cannot be read or parsed.

    ## What it does
    Reports a file that zlint reads but cannot decode or parse: a syntax error, an unknown or
    wrong encoding, a file that is not Python although it is named `.py`, or one that cannot be
    opened. The finding points at the line and column where parsing stopped.

    It covers the files zlint reads. A file whose raw bytes show that no selected rule can find
    anything in it (for zlint's own rules: no `forward` or `forward_*` method) is never decoded
    or parsed, so its syntax is not checked. To check every file, pass `--check-syntax` or set
    `check-syntax = true` in `[tool.zlint]`; selecting `ZL000` alone does the same. A file zlint
    cannot read at all, or whose declared encoding it does not know, is always reported.

    ## Why is this bad?
    No other rule can look into such a file, so whatever it holds goes unchecked. The run goes
    on with the other files, and the exit code says that something was found.

    ## Example
    ```python
    class Model(nn.Module):
        def forward(self, x):
            return x +
    ```

    ## Fix
    There is no automatic fix: correct the file, or exclude it (`exclude` in `[tool.zlint]`).
    """

    code = "ZL000"
    name = "parse-error"
    stage: ClassVar[str] = "read"  # reported by the runner as it reads each file, not by check()

    def check(self, ctx) -> Iterable:
        return ()

    invalid = (
        Invalid("""
            class Model(nn.Module):
                def forward(self, x):
                    return x +  # expect: ZL000
        """),
        Invalid("""
            class Model(nn.Module):
                def forward(self, x)  # expect: ZL000
                    return x
        """),
        Invalid("""
            class Model(nn.Module):
                def forward(self, x):
                    if x:
                    return x  # expect: ZL000
        """),
        Invalid("""
            class Model(nn.Module):
                def forward(self, x):
                    y = (x  # expect: ZL000
        """),
        Invalid("""
            class Model(nn.Module):
                def forward(self, x):
                    self.flag = = 1  # expect: ZL000
                    return x
        """),
        Invalid("""
            class Model(nn.Module):
                def forward(self, x):
                    return [x for in x]  # expect: ZL000
        """),
        Invalid("""
            class Model(nn.Module):
                def forward(self, x):
                    print "x"  # expect: ZL000
        """),
        Invalid("""
            class Model(nn.Module):
                def forward(self, x):
                    1 = x  # expect: ZL000
                    return x
        """),
    )
    valid = (
        Valid("""
            class Model(nn.Module):
                def forward(self, x):
                    return x + 1
        """),
        Valid("""
            class Model(nn.Module):
                def forward(self, x, *, flag: bool = False):
                    return x if flag else -x
        """),
        Valid("""
            class Model(nn.Module):
                def forward(self, x):
                    match x.dim():
                        case 2:
                            return x
                        case _:
                            return x.flatten(1)
        """),
        Valid("""
            class Model(nn.Module):
                async def forward(self, x):
                    return await x
        """),
        Valid("""
            class Model(nn.Module):
                def forward(self, x):
                    if (n := x.numel()) > 0:
                        return x / n
                    return x
        """),
        Valid("""
            class Model(nn.Module):
                def forward(self, *args, **kwargs):
                    return sum(args) + len(kwargs)
        """),
        Valid("""
            class Model(nn.Module):
                def forward(self, x):
                    return f"{x!r:>10}"
        """),
        Valid("""
            class Model(nn.Module):
                def forward(self, x):
                    try:
                        return x.item()
                    except* ValueError:
                        return None
        """),
        Valid("""
            class Model(nn.Module):
                def forward(self, x):
                    return lambda y: (x, y)
        """),
        Valid("""
            class Model(nn.Module):
                def forward(self, x):
                    with torch.no_grad(), torch.autocast("cpu"):
                        return x
        """),
        Valid("""
            class Model(nn.Module):
                def forward(self, x):
                    for i in range(3):
                        if i:
                            break
                    else:
                        pass
                    return x
        """),
        Valid("""
            class Model(nn.Module):
                def forward(self, x, /, y=None):
                    global counter
                    return x if y is None else x + y
        """),
    )
