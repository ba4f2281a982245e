#!/bin/sh
# check-style.sh: the size limits of the house style, on every tracked C file: no file over 400 lines,
# no function body over 60 lines. Prints each offender; exits 1 if there is one.
set -eu
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c')
status=0
for f in $files; do
    n=$(wc -l <"$f")
    if [ "$n" -gt 400 ]; then echo "$f: $n lines (limit 400)"; status=1; fi
done
# A function's body opens with "{" at column 0 and closes when the braces balance again; its name is
# the last non-blank line before it.
# shellcheck disable=SC2086
awk -v MAX=60 '
    FNR == 1 { depth = 0; start = 0 }
    {
        line = $0
        if (depth == 0 && line ~ /^\{/) { start = FNR; name = prev }
        depth += gsub(/\{/, "{", line) - gsub(/\}/, "}", line)
        if (start && depth == 0) {
            if (FNR - start + 1 > MAX) { printf "%s:%d: %s: %d lines (limit %d)\n", FILENAME, start, name, FNR - start + 1, MAX; bad = 1 }
            start = 0
        }
        if ($0 !~ /^[ \t]*$/) prev = $0
    }
    END { exit bad }' $files || status=1
# faas-cli template pull copies the template folder following links: a link there (a sysfs-like
# fixture) can loop, and breaks the pull for every user.
links=$(git ls-files -s template | awk '$1 == "120000" { print $4 }')
if [ -n "$links" ]; then echo "symbolic links under template/ (faas-cli template pull follows them): $links"; status=1; fi
[ "$status" = 0 ] && echo "check-style: $(echo "$files" | wc -w) C files within 400 lines, every function within 60"
exit "$status"
