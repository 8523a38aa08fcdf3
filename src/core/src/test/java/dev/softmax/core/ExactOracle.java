/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Exact reference ("oracle") for softmax, log-softmax and logsumexp of doubles, in
 * {@link BigDecimal}, against which every numeric test of the project compares.
 *
 * <h2>Method</h2>
 * <ul>
 *   <li><b>ln 2</b> is computed, not typed in: {@code ln 2 = 2 atanh(1/3)} summed as the series
 *       {@code atanh z = z + z^3/3 + z^5/5 + ...} to 110 digits and kept to 100
 *       ({@code ExactOracleTest} checks it against the published digits).</li>
 *   <li><b>exp(x)</b>: range reduction {@code x = k ln2 + r} with {@code k = rint(x / ln2)},
 *       {@code |r| <= ln2/2}, r formed in binary fixed point with 224 fraction bits (about 67
 *       digits) from x (rounded to 90 digits if longer) and ln 2 (288 bits); then
 *       {@code r = j/64 + i/8192 + s} with {@code |s| <= 2^-14} and
 *       {@code exp(r) = exp(j/64) exp(i/8192) exp(s)}: two tables (each entry from a Taylor
 *       series of 60, resp. 30 terms) and a 14-term Taylor series (Horner) for {@code exp(s)},
 *       all in the same fixed point (truncation and rounding together below 1e-65 relative);
 *       finally the scaling by {@code 2^(k - 224)} (exact powers of two correctly rounded to
 *       80 digits, cached), rounded to 64 digits. Valid for x in
 *       {@code [-1e6, 1e6]}; below {@code -1e6} it returns 0 (e^-1e6 is 10^-434295, no
 *       double or sum of doubles can resolve it).</li>
 *   <li><b>log(x)</b>: {@code x = 2^k f} with {@code f} in {@code [1/sqrt 2, sqrt 2]}, then
 *       {@code log x = k ln2 + log1p(f - 1)}. <b>log1p(y)</b> {@code = 2 atanh(y / (2 + y))}
 *       by the same series (for {@code |y| <= 1/2}; otherwise through {@code log(1 + y)} with
 *       {@code 1 + y} exact). The series is summed with relative rounding, so log1p keeps full
 *       relative precision for tiny y (1e-300 included).</li>
 *   <li>Internal results carry {@value #WORK_DIGITS} significant digits (at least 60 correct);
 *       the public {@link #exp}, {@link #log}, {@link #log1p} round them to {@link #MC}
 *       (50 digits, HALF_EVEN): at least 48 correct digits.</li>
 *   <li><b>softmax</b> ({@link #softmax(double...)}): the non-finite policy of
 *       {@link Normalizer}, then for finite values {@code m = max}, {@code x - m} exact in BigDecimal,
 *       {@code d = c + s} with c the count of values equal to m and s the sum of
 *       {@code exp(x - m)} over the smaller ones, {@code L = log(c) + log1p(s / c)} (full
 *       relative precision when d is close to 1), {@code logProb = (x - m) - L},
 *       {@code prob = exp((x - m) - L)}, {@code logSumExp = m + L}. Equal values are grouped,
 *       so each distinct value costs two exp evaluations.</li>
 *   <li><b>Rounding to double</b>: each output is rounded exactly once, from its 64-digit
 *       approximation (log_prob and logsumexp: from the exact x - m or m and the 64-digit L),
 *       by {@link BigDecimal#doubleValue()} (correctly rounded on Java 17, normal
 *       and subnormal ranges and overflow alike, checked by {@code ExactOracleTest}). The double
 *       is therefore the correctly rounded true value unless the true value lies within about
 *       1e-60 (relative) of a midpoint between two doubles.</li>
 *   <li>Exception: logSumExp = m + L where the sum cancels (|m + L| much smaller than |L|) is
 *       exact to about 1e-60 |L| absolutely, not relatively; use {@link Accuracy#absoluteError} there.</li>
 * </ul>
 *
 * <p>Speed (2-core test machine, one thread): {@code softmax} of 10^5 distinct random values
 * takes about 1.1 s once the JIT is warm, 2 to 2.5 s as the first call in a JVM (about 5 us
 * per exp); [0] followed by 2^20 copies of -36 (two distinct values) 0.15 s, mostly the sort.
 */
public final class ExactOracle {

    /** 50 significant digits, HALF_EVEN: the precision of every public BigDecimal result. */
    public static final MathContext MC = new MathContext(50, RoundingMode.HALF_EVEN);

    /** Significant digits carried by internal results (guard digits over {@link #MC}). */
    static final int WORK_DIGITS = 64;

    private static final MathContext WORK = new MathContext(WORK_DIGITS, RoundingMode.HALF_EVEN);
    /** Precision of the atanh series: a few digits over WORK so that its roundings stay below. */
    private static final MathContext SERIES = new MathContext(72, RoundingMode.HALF_EVEN);
    private static final MathContext DIGITS_80 = new MathContext(80, RoundingMode.HALF_EVEN);
    private static final MathContext DIGITS_90 = new MathContext(90, RoundingMode.HALF_EVEN);
    private static final MathContext DIGITS_100 = new MathContext(100, RoundingMode.HALF_EVEN);
    private static final MathContext DIGITS_110 = new MathContext(110, RoundingMode.HALF_EVEN);

    /** ln 2 = 2 atanh(1/3), computed to 110 digits, kept to 100. */
    static final BigDecimal LN2 = atanhSeries(
            BigDecimal.ONE.divide(BigDecimal.valueOf(3), DIGITS_110), DIGITS_110)
            .multiply(BigDecimal.valueOf(2)).round(DIGITS_100);

    private static final double LN2_DOUBLE = LN2.doubleValue();

    /** Domain of exp: beyond -1e6 the result is 0 (see the class comment). */
    private static final BigDecimal EXP_LOWER = BigDecimal.valueOf(-1_000_000);
    private static final BigDecimal EXP_UPPER = BigDecimal.valueOf(1_000_000);

    /**
     * Threshold below which a term exp(x - m) is skipped and its probability is 0:
     * e^-800 = 3.7e-348, below half the smallest subnormal (2^-1075 = 2.5e-324) even after
     * multiplication by 10^20 equal terms.
     */
    private static final BigDecimal NEGLIGIBLE = BigDecimal.valueOf(-800);

    /**
     * L when every smaller value was skipped: any L in (0, 2^-1075) rounds log_prob and
     * logsumexp the same way (x - m and m are multiples of 2^-1074), and prob but within 1e-400
     * of a tie.
     */
    private static final BigDecimal SKIPPED_ONLY = BigDecimal.ONE.movePointLeft(400);

    private static final BigDecimal HALF = new BigDecimal("0.5");

    /* Binary fixed point for exp: a value v is held as the integer round(v * 2^P). */
    private static final int P = 224;
    private static final BigDecimal TWO_POW_P = new BigDecimal(BigInteger.ONE.shiftLeft(P));
    /** round(2^P / n!) for n = 0..60. */
    private static final BigInteger[] INV_FACTORIAL = new BigInteger[61];
    /** Terms of the Taylor series of exp(s), |s| <= 2^-14: 2^-196 / 14! < 2^-232. */
    private static final int SMALL_TERMS = 13;
    /** Table exp(j/64), j = -TABLE_HALF..TABLE_HALF (|r| <= 0.347 needs |j| <= 23). */
    private static final int TABLE_HALF = 24;
    private static final BigInteger[] EXP_TABLE = new BigInteger[2 * TABLE_HALF + 1];
    /** Table exp(i/8192), i = -FINE_HALF..FINE_HALF (|r - j/64| <= 1/128 needs |i| <= 64). */
    private static final int FINE_HALF = 64;
    private static final BigInteger[] EXP_FINE_TABLE = new BigInteger[2 * FINE_HALF + 1];
    /** ln 2 in fixed point with 64 guard bits: round(ln2 * 2^(P + 64)), from the 100-digit LN2. */
    private static final int LN2_GUARD_BITS = 64;
    private static final BigInteger LN2_FIXED = LN2
            .multiply(new BigDecimal(BigInteger.ONE.shiftLeft(P + LN2_GUARD_BITS)))
            .setScale(0, RoundingMode.HALF_EVEN).unscaledValue();
    private static final BigInteger LN2_HALF_UNIT = BigInteger.ONE.shiftLeft(LN2_GUARD_BITS - 1);

    /** Powers of two 2^e, exact where short, else 80 digits; e in the exp range. */
    private static final ConcurrentHashMap<Integer, BigDecimal> POW2 = new ConcurrentHashMap<>();
    private static final int POW2_EXACT_LIMIT = 4096;

    static {
        BigInteger one = BigInteger.ONE.shiftLeft(P);
        BigInteger factorial = BigInteger.ONE;
        for (int n = 0; n < INV_FACTORIAL.length; n++) {
            if (n > 0) {
                factorial = factorial.multiply(BigInteger.valueOf(n));
            }
            // round(2^P / n!) = floor((2^(P+1) / n! + 1) / 2)
            INV_FACTORIAL[n] = one.shiftLeft(1).divide(factorial).add(BigInteger.ONE).shiftRight(1);
        }
        for (int j = -TABLE_HALF; j <= TABLE_HALF; j++) {
            // |j/64| <= 0.375: 0.375^61 / 61! < 1e-109, far below 2^-P.
            EXP_TABLE[j + TABLE_HALF] = taylorFixed(BigInteger.valueOf(j).shiftLeft(P - 6), 60);
        }
        for (int i = -FINE_HALF; i <= FINE_HALF; i++) {
            // |i/8192| <= 1/128: (1/128)^31 / 31! < 1e-99.
            EXP_FINE_TABLE[i + FINE_HALF] = taylorFixed(BigInteger.valueOf(i).shiftLeft(P - 13), 30);
        }
    }

    private ExactOracle() {
    }

    /**
     * The exact results for one input, each double rounded once from the exact value.
     *
     * @param prob           softmax, correctly rounded per element
     * @param logProb        log-softmax, correctly rounded per element
     * @param logSumExp      m + L, correctly rounded (see the class comment for cancellation)
     * @param logNormalizer  L = log d, d = sum of exp(x - m), to 50 digits; null when the
     *                       input has no finite value or a NaN or +inf
     * @param max            m, the maximum of the finite values (0.0 for a maximum of -0.0); in
     *                       the non-finite cases NaN (any NaN), +inf (any +inf), -inf (all -inf
     *                       or empty)
     */
    public record Reference(double[] prob, double[] logProb, double logSumExp,
                            BigDecimal logNormalizer, double max) {

        /** The exact m + L (50 digits), for {@link #absoluteError}; null in the non-finite cases. */
        public BigDecimal logSumExpExact() {
            return logNormalizer == null ? null : new BigDecimal(max).add(logNormalizer, MC);
        }

        @Override
        public String toString() {
            return "Reference[prob=" + Arrays.toString(prob) + ", logProb=" + Arrays.toString(logProb)
                    + ", logSumExp=" + logSumExp + ", logNormalizer=" + logNormalizer
                    + ", max=" + max + "]";
        }
    }

    // ------------------------------------------------------------------ exp, log, log1p

    /**
     * e^x to 50 digits ({@link #MC}), at least 48 of them correct, for x in [-1e6, 1e6];
     * 0 below -1e6.
     *
     * @throws ArithmeticException for x above 1e6
     */
    public static BigDecimal exp(BigDecimal x) {
        return expWork(x).round(MC);
    }

    /**
     * ln x to 50 digits ({@link #MC}), at least 48 correct.
     *
     * @throws ArithmeticException for x <= 0
     */
    public static BigDecimal log(BigDecimal x) {
        return logWork(x).round(MC);
    }

    /**
     * ln(1 + y) to 50 digits ({@link #MC}), at least 48 correct relative to the result, also
     * for tiny |y|.
     *
     * @throws ArithmeticException for y <= -1
     */
    public static BigDecimal log1p(BigDecimal y) {
        return log1pWork(y).round(MC);
    }

    /** e^x with {@value #WORK_DIGITS} significant digits (at least 60 correct). */
    static BigDecimal expWork(BigDecimal x) {
        if (x.signum() == 0) {
            return BigDecimal.ONE;
        }
        if (x.compareTo(EXP_LOWER) < 0) {
            // e^-1e6 = 10^-434295: no double, nor any sum a test compares, can resolve it.
            return BigDecimal.ZERO;
        }
        if (x.compareTo(EXP_UPPER) > 0) {
            throw new ArithmeticException("exp argument above 1e6: " + x);
        }
        // |x| <= 1e6, so 90 digits keep x to 1e-84 absolute, which is e^x to 1e-84 relative.
        BigDecimal xr = x.precision() > 90 ? x.round(DIGITS_90) : x;
        long k = Math.round(xr.doubleValue() / LN2_DOUBLE);
        // r = x - k ln2 in fixed point; ln2 carries 64 more bits, so k < 2^21 times its
        // rounding stays far below one unit.
        BigInteger r = toFixed(xr).subtract(
                LN2_FIXED.multiply(BigInteger.valueOf(k)).add(LN2_HALF_UNIT).shiftRight(LN2_GUARD_BITS));
        // r = j/64 + i/8192 + s, |s| <= 2^-14, all exact in fixed point.
        BigInteger j = r.add(BigInteger.ONE.shiftLeft(P - 7)).shiftRight(P - 6);
        BigInteger s1 = r.subtract(j.shiftLeft(P - 6));
        BigInteger i = s1.add(BigInteger.ONE.shiftLeft(P - 14)).shiftRight(P - 13);
        BigInteger s = s1.subtract(i.shiftLeft(P - 13));
        BigInteger expR = EXP_TABLE[j.intValueExact() + TABLE_HALF]
                .multiply(EXP_FINE_TABLE[i.intValueExact() + FINE_HALF]).shiftRight(P)
                .multiply(taylorFixed(s, SMALL_TERMS)).shiftRight(P);
        return new BigDecimal(expR).multiply(pow2(Math.toIntExact(k - P)), WORK);
    }

    /** round(v * 2^P). */
    private static BigInteger toFixed(BigDecimal v) {
        return v.multiply(TWO_POW_P).setScale(0, RoundingMode.HALF_EVEN).unscaledValue();
    }

    /** ln x with {@value #WORK_DIGITS} significant digits. */
    static BigDecimal logWork(BigDecimal x) {
        if (x.signum() <= 0) {
            throw new ArithmeticException("log of a non-positive number: " + x);
        }
        // x = mantissa * 10^e10, mantissa in [1, 10): estimate log2 x to choose k.
        int e10 = x.precision() - x.scale() - 1;
        double mantissa = x.scaleByPowerOfTen(-e10).doubleValue();
        long k = Math.round(e10 * (Math.log(10) / Math.log(2)) + Math.log(mantissa) / Math.log(2));
        if (k == 0) {
            return log1pSeries(x.subtract(BigDecimal.ONE));
        }
        // x 2^-k in [0.7, 1.42]; log x = k ln2 + log1p(f - 1) with |k ln2| >= 0.69 so the
        // 80-digit f is far more than enough.
        BigDecimal f = x.multiply(pow2(Math.toIntExact(-k)), DIGITS_80);
        return log1pSeries(f.subtract(BigDecimal.ONE))
                .add(LN2.multiply(BigDecimal.valueOf(k)), WORK);
    }

    /** ln(1 + y) with {@value #WORK_DIGITS} significant digits, relative to the result. */
    static BigDecimal log1pWork(BigDecimal y) {
        if (y.compareTo(BigDecimal.ONE.negate()) <= 0) {
            throw new ArithmeticException("log1p of a number <= -1: " + y);
        }
        if (y.abs().compareTo(HALF) <= 0) {
            return log1pSeries(y);
        }
        return logWork(BigDecimal.ONE.add(y));
    }

    /** log1p(y) = 2 atanh(y / (2 + y)) for |y| <= 1/2 (then |z| <= 1/3). */
    private static BigDecimal log1pSeries(BigDecimal y) {
        if (y.signum() == 0) {
            return BigDecimal.ZERO;
        }
        if (y.abs().compareTo(HALF) > 0) {
            throw new IllegalStateException("log1p series outside |y| <= 1/2: " + y);
        }
        BigDecimal z = y.divide(BigDecimal.valueOf(2).add(y), SERIES);
        return atanhSeries(z, SERIES).multiply(BigDecimal.valueOf(2)).round(WORK);
    }

    /**
     * atanh z = z + z^3/3 + z^5/5 + ..., |z| <= 1/3, every operation rounded to mc (relative),
     * stopped when a term is below 10^-(digits + 2) of the sum: the tail then is too, since
     * the terms fall by z^2 <= 1/9 each.
     */
    private static BigDecimal atanhSeries(BigDecimal z, MathContext mc) {
        BigDecimal z2 = z.multiply(z, mc);
        BigDecimal power = z;
        BigDecimal sum = z;
        for (int n = 3; ; n += 2) {
            power = power.multiply(z2, mc);
            BigDecimal term = power.divide(BigDecimal.valueOf(n), mc);
            sum = sum.add(term, mc);
            if (term.signum() == 0 || magnitude(sum) - magnitude(term) > mc.getPrecision() + 2) {
                return sum;
            }
        }
    }

    /** floor(log10 |v|) + 1 for v != 0. */
    private static int magnitude(BigDecimal v) {
        return v.precision() - v.scale();
    }

    /** sum_{n <= terms} s^n / n! in fixed point (s = S / 2^P); Horner, each step within 1 unit. */
    private static BigInteger taylorFixed(BigInteger s, int terms) {
        BigInteger acc = INV_FACTORIAL[terms];
        for (int n = terms - 1; n >= 0; n--) {
            acc = acc.multiply(s).shiftRight(P).add(INV_FACTORIAL[n]);
        }
        return acc;
    }

    /** 2^e: exact for |e| <= 4096 rounded to 80 digits (correctly), else 80 of 100 digits. */
    static BigDecimal pow2(int e) {
        if (Math.abs(e) > POW2_EXACT_LIMIT) {
            // Only for |x| beyond ~2800: not cached, BigDecimal.pow with 20 guard digits.
            return BigDecimal.valueOf(2).pow(e, DIGITS_100).round(DIGITS_80);
        }
        return POW2.computeIfAbsent(e, ExactOracle::pow2Exact);
    }

    private static BigDecimal pow2Exact(int e) {
        BigDecimal exact = e >= 0
                ? new BigDecimal(BigInteger.ONE.shiftLeft(e))
                : new BigDecimal(BigInteger.valueOf(5).pow(-e), -e); // 2^-n = 5^n / 10^n
        return exact.round(DIGITS_80);
    }

    // ------------------------------------------------------------------ rounding to double

    /**
     * The double nearest v (ties to even), as BigDecimal.doubleValue() gives it: correctly
     * rounded including subnormals and overflow to infinity (checked by ExactOracleTest).
     */
    static double toDouble(BigDecimal v) {
        return v.doubleValue();
    }

    // ------------------------------------------------------------------ softmax

    /**
     * Exact softmax, log-softmax and logsumexp of x, following the non-finite policy of
     * {@link Normalizer}:
     * <ul>
     *   <li>any NaN: prob and logProb NaN everywhere, logSumExp NaN;</li>
     *   <li>any +inf, no NaN: prob and logProb NaN everywhere, logSumExp +inf;</li>
     *   <li>all values -inf: prob and logProb NaN, logSumExp -inf;</li>
     *   <li>empty: empty arrays, logSumExp -inf;</li>
     *   <li>otherwise a -inf entry gives prob 0 and logProb -inf, and the finite values are
     *       treated exactly (-0.0 is 0.0).</li>
     * </ul>
     * The sign of a zero result is not meaningful, except that the logProb of the maximum is
     * -0.0 when other finite values exist (the true value is then negative).
     */
    public static Reference softmax(double... x) {
        int n = x.length;
        boolean nan = false;
        boolean positiveInfinity = false;
        int finiteCount = 0;
        for (double v : x) {
            if (Double.isNaN(v)) {
                nan = true;
            } else if (v == Double.POSITIVE_INFINITY) {
                positiveInfinity = true;
            } else if (v != Double.NEGATIVE_INFINITY) {
                finiteCount++;
            }
        }
        if (nan || positiveInfinity || finiteCount == 0) {
            double[] undefined = new double[n];
            Arrays.fill(undefined, Double.NaN);
            double lse = nan ? Double.NaN
                    : positiveInfinity ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
            return new Reference(undefined, undefined.clone(), lse, null, lse);
        }

        // Distinct finite values, ascending, with counts (x + 0.0 turns -0.0 into 0.0).
        double[] sorted = new double[finiteCount];
        int f = 0;
        for (double v : x) {
            if (Double.isFinite(v)) {
                sorted[f++] = v + 0.0;
            }
        }
        Arrays.sort(sorted);
        double[] values = new double[finiteCount];
        long[] counts = new long[finiteCount];
        int distinct = 0;
        for (double v : sorted) {
            if (distinct > 0 && values[distinct - 1] == v) {
                counts[distinct - 1]++;
            } else {
                values[distinct] = v;
                counts[distinct] = 1;
                distinct++;
            }
        }
        double m = values[distinct - 1];
        long maxCount = counts[distinct - 1];
        BigDecimal exactMax = new BigDecimal(m);

        // s = sum over the smaller values of count * exp(x - m), smallest first. Terms with
        // x - m < -800 are skipped: all of them together (at most 2^31 terms of e^-800 each)
        // change d >= 1 by less than 1e-338 relative, which cannot move any rounded output but
        // for breaking a tie: see below.
        BigDecimal[] delta = new BigDecimal[distinct];
        BigDecimal s = BigDecimal.ZERO;
        boolean skipped = false;
        for (int i = 0; i < distinct; i++) {
            delta[i] = new BigDecimal(values[i]).subtract(exactMax); // exact, <= 0
            skipped |= i < distinct - 1 && delta[i].compareTo(NEGLIGIBLE) < 0;
            if (i < distinct - 1 && delta[i].compareTo(NEGLIGIBLE) >= 0) {
                // 80 digits: 10^5 roundings of the running sum stay below 1e-74 relative.
                s = s.add(expWork(delta[i]).multiply(BigDecimal.valueOf(counts[i])), DIGITS_80);
            }
        }
        // L = log(c + s) = log(c) + log1p(s / c): no 1 + s is ever formed, so L keeps its
        // relative precision when s is tiny.
        BigDecimal logNormalizer = log1pWork(s.divide(BigDecimal.valueOf(maxCount), WORK));
        if (maxCount > 1) {
            logNormalizer = logNormalizer.add(logWork(BigDecimal.valueOf(maxCount)), WORK);
        }
        if (logNormalizer.signum() == 0 && skipped) {
            // L is positive, below e^-800: any such L rounds every output the same way, but 0
            // would not where x - m is a tie between two doubles (log_prob of nextDown(768)
            // beside 2304 is -1536 - 2^-43 - e^-1536, which rounds away from -1536)
            logNormalizer = SKIPPED_ONLY;
        }
        boolean othersExist = finiteCount > maxCount;

        double[] distinctProb = new double[distinct];
        double[] distinctLogProb = new double[distinct];
        for (int i = 0; i < distinct; i++) {
            // Both terms are <= 0: no cancellation, the rounding to WORK digits is relative. The
            // double comes from the unrounded difference: x - m can be a tie between two doubles
            // that only a tiny L breaks (x - m = -3584 - 2^-42 beside L = 8.8e-223, in
            // AdversarialCasesTest's anchor boundaries), and 64 digits would lose L.
            BigDecimal logProbExact = delta[i].subtract(logNormalizer);
            BigDecimal logProb = logProbExact.round(WORK);
            distinctLogProb[i] = logProb.signum() == 0 && othersExist ? -0.0 : toDouble(logProbExact);
            // exp(x - m - L) <= e^-800 < 2^-1075 rounds to 0.
            distinctProb[i] = delta[i].compareTo(NEGLIGIBLE) < 0 ? 0.0 : toDouble(expWork(logProb));
        }

        double[] prob = new double[n];
        double[] logProb = new double[n];
        for (int i = 0; i < n; i++) {
            double v = x[i];
            if (v == Double.NEGATIVE_INFINITY) {
                prob[i] = 0.0;
                logProb[i] = Double.NEGATIVE_INFINITY;
            } else {
                int at = Arrays.binarySearch(values, 0, distinct, v + 0.0);
                prob[i] = distinctProb[at];
                logProb[i] = distinctLogProb[at];
            }
        }
        double logSumExp = toDouble(exactMax.add(logNormalizer)); // unrounded, as logProb
        return new Reference(prob, logProb, logSumExp, logNormalizer.round(MC), m);
    }

    // ------------------------------------------------------------------ weighted and signed

    /**
     * The exact weighted results for rows (x[i], w[i]) (scipy's b), each double rounded once.
     *
     * @param prob      w_i exp(x_i) / S per row (weights &gt;= 0; NaN everywhere otherwise)
     * @param logProb   log(w_i) + x_i - log S per row (same)
     * @param logSumExp log S: NaN for S &lt; 0, -inf for S = 0
     * @param value     log |S| (the signed form's value)
     * @param sign      the sign of S: 1, -1, 0, NaN
     * @param exactValue log |S| to 50 digits, null when S is 0 or not finite
     * @param logProbExact log_prob per row unrounded (null entries where not finite), for the
     *                     distance of the true value to a midpoint
     */
    public record WeightedReference(double[] prob, double[] logProb, double logSumExp, double value,
                                    double sign, BigDecimal exactValue, BigDecimal[] logProbExact) {
        WeightedReference(double[] prob, double[] logProb, double logSumExp, double value, double sign,
                          BigDecimal exactValue) {
            this(prob, logProb, logSumExp, value, sign, exactValue, new BigDecimal[prob.length]);
        }
    }

    /**
     * The weighted policy of {@link Normalizer}, then S = sum of w exp(x) exactly: rows of equal
     * x are grouped and their weights summed exactly first (so cancellation among equal x is
     * exact), S / e^m is summed from 64-digit terms, and where it cancels (|S| below 10^-40 of
     * the sum of the |terms|) again from terms of 60 + c digits, c the digits that cancel.
     */
    public static WeightedReference weighted(double[] x, double[] w) {
        int n = x.length;
        if (w.length != n) {
            throw new IllegalArgumentException("lengths " + n + " and " + w.length);
        }
        boolean nan = false;
        boolean positive = false;
        boolean negative = false;
        boolean negativeWeight = false;
        java.util.TreeMap<Double, BigDecimal> weights = new java.util.TreeMap<>();
        for (int i = 0; i < n; i++) {
            double v = x[i];
            double b = w[i];
            if (b == 0) {
                continue;
            }
            negativeWeight |= b < 0;
            if (Double.isNaN(v) || Double.isNaN(b)) {
                nan = true;
            } else if (v == Double.NEGATIVE_INFINITY) {
                nan |= Double.isInfinite(b);
            } else if (Double.isInfinite(v) || Double.isInfinite(b)) {
                positive |= b > 0;
                negative |= b < 0;
            } else {
                weights.merge(v + 0.0, new BigDecimal(b), BigDecimal::add);
            }
        }
        double[] undefined = new double[n];
        Arrays.fill(undefined, Double.NaN);
        if (nan || (positive && negative)) {
            return new WeightedReference(undefined, undefined.clone(), Double.NaN, Double.NaN, Double.NaN, null);
        }
        if (positive) {
            return new WeightedReference(undefined, undefined.clone(), Double.POSITIVE_INFINITY,
                    Double.POSITIVE_INFINITY, 1.0, null);
        }
        if (negative) {
            return new WeightedReference(undefined, undefined.clone(), Double.NaN, Double.POSITIVE_INFINITY, -1.0,
                    null);
        }
        weights.values().removeIf(b -> b.signum() == 0);
        if (weights.isEmpty()) {
            return new WeightedReference(undefined, undefined.clone(), Double.NEGATIVE_INFINITY,
                    Double.NEGATIVE_INFINITY, 0.0, null);
        }
        double m = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) { // the largest finite x of a row with a finite nonzero weight
            if (w[i] != 0 && Double.isFinite(x[i]) && Double.isFinite(w[i]) && x[i] > m) {
                m = x[i];
            }
        }
        BigDecimal exactMax = new BigDecimal(m);
        BigDecimal s = BigDecimal.ZERO;
        BigDecimal magnitude = BigDecimal.ZERO;
        BigDecimal below = BigDecimal.ZERO; // the terms other than that of m, summed apart
        for (var e : weights.entrySet()) {
            BigDecimal t = e.getValue().multiply(expWork(new BigDecimal(e.getKey()).subtract(exactMax)));
            if (e.getKey() != m + 0.0) {
                below = below.add(t, DIGITS_80);
            }
            magnitude = magnitude.add(t.abs(), DIGITS_80);
        }
        s = weights.getOrDefault(m + 0.0, BigDecimal.ZERO).add(below); // exact: keeps a tiny below
        if (s.signum() == 0 || s.abs().compareTo(magnitude.movePointLeft(40)) < 0) {
            int cancel = s.signum() == 0 ? 400 : magnitude.precision() - magnitude.scale()
                    - (s.precision() - s.scale()) + 10;
            MathContext mc = new MathContext(60 + cancel, RoundingMode.HALF_EVEN);
            s = BigDecimal.ZERO;
            for (var e : weights.entrySet()) {
                BigDecimal y = new BigDecimal(e.getKey()).subtract(exactMax);
                s = s.add(e.getValue().multiply(ExactMath.Series.exp(y, mc), mc), mc);
            }
        }
        double sign = s.signum();
        if (sign == 0) {
            return new WeightedReference(undefined, undefined.clone(), Double.NEGATIVE_INFINITY,
                    Double.NEGATIVE_INFINITY, 0.0, null);
        }
        // log d = log(W_m + s'), W_m the weight at m, s' the rest: log(W_m) + log1p(s' / W_m) while
        // that is positive, so a tiny s' keeps its digits (as log(c) + log1p(s / c) unweighted)
        BigDecimal atMax = weights.getOrDefault(m + 0.0, BigDecimal.ZERO);
        BigDecimal rest = s.subtract(atMax);
        BigDecimal logD = atMax.signum() > 0 && rest.abs().compareTo(atMax.movePointLeft(1)) < 0
                ? logWork(atMax).add(log1pWork(rest.divide(atMax, DIGITS_80)), WORK)
                : logWork(s.abs());
        BigDecimal exactValue = exactMax.add(logD);
        double value = toDouble(exactValue);
        double lse = sign > 0 ? value : Double.NaN;
        if (negativeWeight) {
            return new WeightedReference(undefined, undefined.clone(), lse, value, sign, exactValue.round(MC));
        }
        double[] prob = new double[n];
        double[] logProb = new double[n];
        BigDecimal[] exactLogProb = new BigDecimal[n];
        for (int i = 0; i < n; i++) {
            if (w[i] == 0 || x[i] == Double.NEGATIVE_INFINITY) {
                prob[i] = 0.0;
                logProb[i] = Double.NEGATIVE_INFINITY;
                continue;
            }
            BigDecimal delta = new BigDecimal(x[i]).subtract(exactMax);
            BigDecimal lp = logWork(new BigDecimal(w[i])).add(delta).subtract(logD);
            logProb[i] = toDouble(lp);
            exactLogProb[i] = lp;
            prob[i] = lp.compareTo(BigDecimal.valueOf(-800)) < 0 ? 0.0 : toDouble(expWork(lp));
        }
        return new WeightedReference(prob, logProb, lse, value, sign, exactValue.round(MC), exactLogProb);
    }
}
