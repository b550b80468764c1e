# Number formatting shared by the benchmark's awk reports (report.awk, profile-summary.awk): load it first,
# awk -f bench/lib/numbers.awk -f bench/lib/<report>.awk.

# x rounded to an integer, with thousands separated by commas: 1234567.8 -> 1,234,568.
function thousands(x,    s, neg, out) {
    s = sprintf("%.0f", x); neg = ""
    if (substr(s, 1, 1) == "-") { neg = "-"; s = substr(s, 2) }
    out = ""
    while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
    return neg s out
}
