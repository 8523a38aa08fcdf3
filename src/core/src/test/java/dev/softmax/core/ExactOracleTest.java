/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import static dev.softmax.core.Accuracy.ulpDistance;
import static dev.softmax.core.ExactOracle.MC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Checks the oracle against facts that do not come from it: published digits of e, ln 2 and
 * ln 10 (typed in below), a plain Taylor series for exp with no range reduction at 110
 * digits ({@link #naiveExp}), exact rational constructions, Double.parseDouble (correctly
 * rounded) and Math.exp / Math.log (documented within 1 ulp).
 */
class ExactOracleTest {

    /** e, 105 digits (OEIS A001113). */
    private static final BigDecimal E = new BigDecimal("2.7182818284590452353602874713526624977572470936999595749669676"
            + "2772407663035354759457138217852516642742746");
    /** ln 2, 111 digits (OEIS A002162). */
    private static final BigDecimal LN2 = new BigDecimal("0.69314718055994530941723212145817656807550013436025525412068"
            + "0009493393621969694715605863326996418687542001481021");
    /** ln 10, 111 digits (OEIS A002392). */
    private static final BigDecimal LN10 = new BigDecimal("2.3025850929940456840179914546843642076011014886287729760333"
            + "2790096757260967735248023599720508959829834196778404228");

    private static final MathContext DIGITS_110 = new MathContext(110, RoundingMode.HALF_EVEN);
    private static final MathContext DIGITS_60 = new MathContext(60, RoundingMode.HALF_EVEN);

    // ------------------------------------------------------------------ helpers

    /** |actual - expected| <= |expected| 10^-digits. */
    private static void assertDigits(BigDecimal actual, BigDecimal expected, int digits, String what) {
        BigDecimal error = actual.subtract(expected).abs();
        BigDecimal bound = expected.abs().movePointLeft(digits);
        assertThat(error.compareTo(bound))
                .as("%s: expected %s, actual %s, relative error %s", what, expected, actual,
                        expected.signum() == 0 ? error : error.divide(expected.abs(), new MathContext(3)))
                .isLessThanOrEqualTo(0);
    }

    private static void assertBits(double actual, double expected, String what) {
        assertThat(Double.doubleToLongBits(actual))
                .as("%s: expected %s, actual %s", what, expected, actual)
                .isEqualTo(Double.doubleToLongBits(expected));
    }

    /** exp by its Taylor series, no range reduction, 110 digits: independent of the oracle. */
    static BigDecimal naiveExp(BigDecimal x) {
        if (x.signum() < 0) {
            return BigDecimal.ONE.divide(naiveExp(x.negate()), DIGITS_110);
        }
        BigDecimal sum = BigDecimal.ONE;
        BigDecimal term = BigDecimal.ONE;
        for (int n = 1; ; n++) {
            term = term.multiply(x, DIGITS_110).divide(BigDecimal.valueOf(n), DIGITS_110);
            sum = sum.add(term, DIGITS_110);
            if (term.compareTo(sum.movePointLeft(112)) < 0) {
                return sum;
            }
        }
    }

    /** e^x for larger |x| as naiveExp(x / 10^p)^(10^p), x / 10^p exact. */
    private static BigDecimal naiveExpLarge(BigDecimal x, int p) {
        return naiveExp(x.movePointLeft(p)).pow(BigDecimal.TEN.pow(p).intValueExact(), DIGITS_110);
    }

    private static BigDecimal bd(String s) {
        return new BigDecimal(s);
    }

    private static BigDecimal bd(double d) {
        return new BigDecimal(d);
    }

    // ------------------------------------------------------------------ constants

    @Test
    void ln2IsComputedToHundredDigits() {
        assertDigits(ExactOracle.LN2, LN2, 99, "internal ln 2 (2 atanh(1/3))");
        assertDigits(ExactOracle.log(BigDecimal.valueOf(2)), LN2, 48, "log(2)");
        assertDigits(ExactOracle.log1p(BigDecimal.ONE), LN2, 48, "log1p(1)");
        assertDigits(ExactOracle.log1p(bd("-0.5")), LN2.negate(), 48, "log1p(-1/2)");
        assertDigits(ExactOracle.log(bd("0.5")), LN2.negate(), 48, "log(1/2)");
    }

    @Test
    void eAndItsPowers() {
        assertDigits(ExactOracle.exp(BigDecimal.ONE), E, 48, "exp(1)");
        assertThat(ExactOracle.exp(BigDecimal.ONE)).isEqualTo(E.round(MC));
        assertDigits(ExactOracle.exp(BigDecimal.ONE.negate()), BigDecimal.ONE.divide(E, DIGITS_110), 48, "exp(-1)");
        assertDigits(ExactOracle.exp(bd("0.5")), E.sqrt(DIGITS_110), 48, "exp(1/2)");
        assertDigits(ExactOracle.exp(BigDecimal.TEN), E.pow(10, DIGITS_110), 48, "exp(10)");
        assertDigits(ExactOracle.exp(BigDecimal.valueOf(-300)),
                BigDecimal.ONE.divide(E.pow(300, DIGITS_110), DIGITS_110), 48, "exp(-300)");
        assertDigits(ExactOracle.log(E), BigDecimal.ONE, 48, "log(e)");
        assertThat(ExactOracle.exp(BigDecimal.ZERO)).isEqualByComparingTo(BigDecimal.ONE);
    }

    @Test
    void ln10() {
        assertDigits(ExactOracle.log(BigDecimal.TEN), LN10, 48, "log(10)");
        assertDigits(ExactOracle.exp(LN10), BigDecimal.TEN, 48, "exp(ln 10)");
        // Far outside the double range: log(10^-100000) = -100000 ln 10.
        assertDigits(ExactOracle.log(bd("1E-100000")), LN10.multiply(BigDecimal.valueOf(-100000)), 47,
                "log(1e-100000)");
        assertDigits(ExactOracle.log(bd("1E+5000")), LN10.multiply(BigDecimal.valueOf(5000)), 48, "log(1e5000)");
    }

    // ------------------------------------------------------------------ exp

    @Test
    void expMatchesPlainTaylorSeries() {
        Random random = new Random(20240601);
        List<BigDecimal> xs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            xs.add(bd((random.nextDouble() * 2 - 1) * 20));
        }
        // Boundaries of the reductions: k ln2 +- ln2/2, table steps j/64 and i/8192.
        for (int j = -23; j <= 23; j++) {
            xs.add(BigDecimal.valueOf(j).divide(BigDecimal.valueOf(64)));
            xs.add(BigDecimal.valueOf(j).divide(BigDecimal.valueOf(64)).add(bd("0.0078125")));
            xs.add(BigDecimal.valueOf(j).divide(BigDecimal.valueOf(64)).add(bd("1e-40")));
        }
        for (int k = -5; k <= 5; k++) {
            BigDecimal kLn2 = LN2.multiply(BigDecimal.valueOf(k));
            xs.add(kLn2.add(LN2.divide(BigDecimal.valueOf(2), DIGITS_110)));
            xs.add(kLn2.subtract(LN2.divide(BigDecimal.valueOf(2), DIGITS_110)));
            xs.add(kLn2.round(new MathContext(40)));
        }
        xs.add(bd("1e-300"));
        xs.add(bd("-1e-300"));
        xs.add(bd(Double.MIN_VALUE));
        for (BigDecimal x : xs) {
            assertDigits(ExactOracle.exp(x), naiveExp(x), 48, "exp(" + x + ")");
        }
    }

    @Test
    void internalResultsCarrySixtyDigits() {
        Random random = new Random(43);
        for (int i = 0; i < 100; i++) {
            BigDecimal x = bd((random.nextDouble() * 2 - 1) * 25);
            BigDecimal expX = naiveExp(x);
            assertDigits(ExactOracle.expWork(x), expX, 61, "expWork(" + x + ")");
            assertDigits(ExactOracle.logWork(expX), x, 61, "logWork(exp(" + x + "))");
            BigDecimal tiny = x.movePointLeft(100 + random.nextInt(200));
            assertDigits(ExactOracle.log1pWork(tiny), tiny.subtract(tiny.multiply(tiny).divide(BigDecimal.valueOf(2))),
                    61, "log1pWork(" + tiny + ")");
        }
    }

    @Test
    void expOverTheWholeRange() {
        String[] arguments = {"-745.1332191019411", "-708.4", "709.782712893384", "800", "-1000", "-12345.678",
                "-999999.999", "-1000000"};
        for (String a : arguments) {
            BigDecimal x = bd(a);
            assertDigits(ExactOracle.exp(x), naiveExpLarge(x, 3), 47, "exp(" + a + ")");
        }
        assertDigits(ExactOracle.exp(bd("1000000")), naiveExpLarge(bd("1000000"), 5), 47, "exp(1e6)");
        assertThat(ExactOracle.exp(bd("-1000000.5"))).isEqualByComparingTo(BigDecimal.ZERO);
        assertThatThrownBy(() -> ExactOracle.exp(bd("1000000.5"))).isInstanceOf(ArithmeticException.class);
    }

    @Test
    void expIsAHomomorphism() {
        Random random = new Random(7);
        for (int i = 0; i < 100; i++) {
            BigDecimal a = bd((random.nextDouble() * 2 - 1) * 400);
            BigDecimal b = bd((random.nextDouble() * 2 - 1) * 400);
            assertDigits(ExactOracle.exp(a).multiply(ExactOracle.exp(b)), ExactOracle.exp(a.add(b)), 47,
                    "exp(a) exp(b)");
            assertDigits(ExactOracle.exp(a).multiply(ExactOracle.exp(a.negate())), BigDecimal.ONE, 48,
                    "exp(a) exp(-a)");
        }
    }

    @Test
    void powersOfTwoAgree() {
        for (int e : new int[] {-5000, -4097, -1100, 0, 1, 1100, 4097, 5000}) {
            BigDecimal exact = e >= 0 ? BigDecimal.valueOf(2).pow(e)
                    : BigDecimal.ONE.divide(BigDecimal.valueOf(2).pow(-e));
            assertDigits(ExactOracle.pow2(e), exact, 79, "2^" + e);
        }
        assertDigits(ExactOracle.pow2(-1_442_921).multiply(ExactOracle.pow2(1_442_921)), BigDecimal.ONE, 78,
                "2^-n 2^n");
    }

    // ------------------------------------------------------------------ log, log1p

    @Test
    void expOfLogIsIdentity() {
        List<BigDecimal> xs = new ArrayList<>(List.of(
                bd("1e-300"), bd(Double.MIN_VALUE), bd(Double.MAX_VALUE), bd(Double.MIN_NORMAL),
                bd("0.5"), BigDecimal.ONE, bd("1.0000000000000000000000000000000000000001"),
                bd("0.999999999"), bd("3"), BigDecimal.TEN, bd("12345.678"), bd("1e300"),
                bd("0.7071067811865475"), bd("1.4142135623730951")));
        Random random = new Random(11);
        for (int i = 0; i < 100; i++) {
            double d = Double.longBitsToDouble(random.nextLong() & 0x7fefffffffffffffL);
            xs.add(bd(d));
        }
        for (BigDecimal x : xs) {
            assertDigits(ExactOracle.exp(ExactOracle.log(x)), x, 45, "exp(log(" + x + "))");
        }
    }

    @Test
    void logOfExpIsIdentity() {
        Random random = new Random(13);
        for (int i = 0; i < 100; i++) {
            BigDecimal y = bd((random.nextDouble() * 2 - 1) * 700);
            assertDigits(ExactOracle.log(ExactOracle.exp(y)), y, 45, "log(exp(" + y + "))");
            assertDigits(ExactOracle.log(ExactOracle.exp(y.negate())), ExactOracle.log(ExactOracle.exp(y)).negate(), 45,
                    "symmetry");
        }
        assertDigits(ExactOracle.log(bd("7")).negate(), ExactOracle.log(BigDecimal.ONE.divide(bd("7"), DIGITS_110)), 48,
                "log(1/7)");
        assertThatThrownBy(() -> ExactOracle.log(BigDecimal.ZERO)).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> ExactOracle.log(bd("-1"))).isInstanceOf(ArithmeticException.class);
    }

    @Test
    void log1pKeepsRelativePrecisionForTinyArguments() {
        for (String s : new String[] {"1e-300", "-1e-300", "4.9e-324", "1e-20", "-1e-20", "1.5e-10", "-1.5e-10",
                "3e-7"}) {
            BigDecimal y = bd(s);
            // y - y^2/2 + y^3/3 - ... to y^8: the tail is below y^9 / 9, relatively < 1e-52.
            BigDecimal series = BigDecimal.ZERO;
            for (int n = 1; n <= 8; n++) {
                BigDecimal term = y.pow(n).divide(BigDecimal.valueOf(n), DIGITS_110);
                series = n % 2 == 1 ? series.add(term) : series.subtract(term);
            }
            assertDigits(ExactOracle.log1p(y), series, 48, "log1p(" + s + ")");
        }
        assertThat(ExactOracle.log1p(bd("1e-300"))).isEqualByComparingTo(bd("1e-300"));
        assertThat(ExactOracle.log1p(BigDecimal.ZERO)).isEqualByComparingTo(BigDecimal.ZERO);
        assertThatThrownBy(() -> ExactOracle.log1p(bd("-1"))).isInstanceOf(ArithmeticException.class);
    }

    @Test
    void log1pAgreesWithLogOfOnePlus() {
        Random random = new Random(17);
        for (int i = 0; i < 100; i++) {
            BigDecimal y = bd(random.nextDouble() * 10.99 - 0.99);
            assertDigits(ExactOracle.log1p(y), ExactOracle.log(BigDecimal.ONE.add(y)), 47, "log1p(" + y + ")");
            assertDigits(ExactOracle.exp(ExactOracle.log1p(y)), BigDecimal.ONE.add(y), 47, "exp(log1p(y))");
        }
        assertDigits(ExactOracle.log1p(bd("-0.999999999999")), LN10.multiply(BigDecimal.valueOf(-12)), 48,
                "log1p(-1 + 1e-12)");
    }

    // ------------------------------------------------------------------ rounding to double

    @Test
    void roundingToDoubleIsCorrectIncludingSubnormals() {
        Random random = new Random(19);
        for (int i = 0; i < 2000; i++) {
            double a = switch (i % 4) {
                case 0 -> Double.longBitsToDouble(random.nextLong() & 0x7fefffffffffffffL);
                case 1 -> Double.MIN_VALUE * (random.nextInt(1 << 20));                 // subnormal
                case 2 -> Double.longBitsToDouble(random.nextLong() & 0x000fffffffffffffL); // subnormal
                default -> random.nextDouble();
            };
            double b = Math.nextUp(a);
            if (Double.isInfinite(b)) {
                continue;
            }
            BigDecimal lower = bd(a);
            BigDecimal gap = bd(b).subtract(lower);
            BigDecimal middle = lower.add(gap.divide(BigDecimal.valueOf(2)));
            BigDecimal tiny = gap.movePointLeft(45);
            double even = (Double.doubleToRawLongBits(a) & 1) == 0 ? a : b;
            assertBits(ExactOracle.toDouble(middle.subtract(tiny)), a, "below the midpoint of " + a);
            assertBits(ExactOracle.toDouble(middle.add(tiny)), b, "above the midpoint of " + a);
            assertBits(ExactOracle.toDouble(middle), even, "midpoint of " + a);
            assertBits(ExactOracle.toDouble(middle.negate().add(tiny)), -a, "negative, below the midpoint of " + a);
            // A 64-digit approximation, as the oracle produces them, against the parser.
            BigDecimal approximation = lower.add(gap.multiply(bd(random.nextDouble()))).round(new MathContext(64));
            assertBits(ExactOracle.toDouble(approximation), Double.parseDouble(approximation.toString()),
                    "parse " + approximation);
        }
        BigDecimal maxGap = bd(Double.MAX_VALUE).subtract(bd(Math.nextDown(Double.MAX_VALUE)));
        BigDecimal overflow = bd(Double.MAX_VALUE).add(maxGap.divide(BigDecimal.valueOf(2)));
        assertBits(ExactOracle.toDouble(overflow.subtract(BigDecimal.ONE)), Double.MAX_VALUE, "just below overflow");
        assertBits(ExactOracle.toDouble(overflow), Double.POSITIVE_INFINITY, "overflow threshold");
        BigDecimal halfMin = bd(Double.MIN_VALUE).divide(BigDecimal.valueOf(2));
        assertBits(ExactOracle.toDouble(halfMin), 0.0, "2^-1075 ties to 0");
        assertBits(ExactOracle.toDouble(halfMin.add(halfMin.movePointLeft(60))), Double.MIN_VALUE,
                "just above 2^-1075");
    }

    // ------------------------------------------------------------------ softmax: published cases

    @Test
    void zeroAndMinusForty() {
        ExactOracle.Reference r = ExactOracle.softmax(0, -40);
        assertBits(r.logProb()[0], -4.248354255291589e-18, "logProb[0]");
        assertBits(r.prob()[0], 1.0, "prob[0]");
        BigDecimal e40 = naiveExp(bd(-40));
        assertDigits(r.logNormalizer(), ExactOracle.log1p(e40), 48, "L");
        assertBits(r.prob()[1], Double.parseDouble(e40.divide(BigDecimal.ONE.add(e40), DIGITS_60).toString()),
                "prob[1]");
        assertBits(r.logProb()[1], -40.0, "logProb[1]");
        assertBits(r.logSumExp(), 4.248354255291589e-18, "logSumExp");
    }

    @Test
    void pointOneAndMinusSevenHundred() {
        ExactOracle.Reference r = ExactOracle.softmax(0.1, -700.3);
        assertBits(r.prob()[1], 6.609138834709863e-305, "prob[1]");
        assertBits(r.prob()[0], 1.0, "prob[0]");
    }

    @Test
    void twiceTheLargestDouble() {
        ExactOracle.Reference r = ExactOracle.softmax(Double.MAX_VALUE, Double.MAX_VALUE);
        for (int i = 0; i < 2; i++) {
            assertBits(r.prob()[i], 0.5, "prob");
            assertBits(r.logProb()[i], -0.6931471805599453, "logProb");
            assertBits(r.logProb()[i], -LN2.doubleValue(), "logProb is -ln 2 rounded");
        }
        assertBits(r.logSumExp(), 1.7976931348623157e308, "logSumExp");
        assertBits(r.max(), Double.MAX_VALUE, "max");
    }

    @Test
    void smallestSubnormalAndSignedZeros() {
        ExactOracle.Reference r = ExactOracle.softmax(5e-324, 0.0, -0.0);
        for (int i = 0; i < 3; i++) {
            assertBits(r.prob()[i], 1.0 / 3, "prob[" + i + "]");
            assertThat(ulpDistance(r.logProb()[i], -ExactOracle.log(bd(3)).doubleValue())).isZero();
        }
        assertThat(ulpDistance(r.logSumExp(), ExactOracle.log(bd(3)).doubleValue())).isZero();
        assertBits(r.max(), Double.MIN_VALUE, "max");
        assertBits(ExactOracle.softmax(-0.0).max(), 0.0, "max of -0.0");
    }

    @Test
    void naiveOverflowCase() {
        ExactOracle.Reference r = ExactOracle.softmax(1000, 2000, 3000);
        assertBits(r.prob()[0], 0.0, "prob[0]");
        assertBits(r.prob()[1], 0.0, "prob[1]");
        assertBits(r.prob()[2], 1.0, "prob[2]");
        assertBits(r.logProb()[0], -2000.0, "logProb[0]");
        assertBits(r.logProb()[1], -1000.0, "logProb[1]");
        // The true value is -e^-1000 - ..., negative and far below the smallest subnormal.
        assertBits(r.logProb()[2], -0.0, "logProb[2]");
        assertBits(r.logSumExp(), 3000.0, "logSumExp");
    }

    @Test
    void hugeValuesWithSmallDifference() {
        ExactOracle.Reference r = ExactOracle.softmax(1e16, 1e16 + 2);
        BigDecimal e2 = naiveExp(bd(-2));
        BigDecimal d = BigDecimal.ONE.add(e2);
        assertBits(r.prob()[0], e2.divide(d, DIGITS_60).doubleValue(), "prob[0]");
        assertBits(r.prob()[1], BigDecimal.ONE.divide(d, DIGITS_60).doubleValue(), "prob[1]");
        BigDecimal logD = ExactOracle.log(d);
        assertBits(r.logProb()[0], bd(-2).subtract(logD).doubleValue(), "logProb[0]");
        assertBits(r.logProb()[1], logD.negate().doubleValue(), "logProb[1]");
        assertBits(r.logSumExp(), 1e16 + 2, "logSumExp");
    }

    @Test
    void subnormalProbabilities() {
        // e^-745.1332 = 2^-1075: the half-way point below the smallest subnormal.
        double[] gaps = {-700.0, -740.0, -744.0, -745.0, -745.0625, -745.1875, -745.25};
        double[] rounded = {0, 0, 0, Double.MIN_VALUE, Double.MIN_VALUE, 0.0, 0.0};
        for (int i = 0; i < gaps.length; i++) {
            BigDecimal small = naiveExpLarge(bd(gaps[i]), 2);
            BigDecimal expected = small.divide(BigDecimal.ONE.add(small), DIGITS_60);
            double prob = ExactOracle.softmax(0.0, gaps[i]).prob()[1];
            assertBits(prob, Double.parseDouble(expected.toString()), "prob of " + gaps[i]);
            if (i >= 3) {
                assertBits(prob, rounded[i], "prob of " + gaps[i]);
            }
        }
    }

    @Test
    void nonFiniteValuesFollowThePolicy() {
        ExactOracle.Reference allNegativeInfinity = ExactOracle.softmax(Double.NEGATIVE_INFINITY,
                Double.NEGATIVE_INFINITY);
        assertThat(allNegativeInfinity.prob()).containsOnly(Double.NaN);
        assertThat(allNegativeInfinity.logProb()).containsOnly(Double.NaN);
        assertBits(allNegativeInfinity.logSumExp(), Double.NEGATIVE_INFINITY, "all -inf: logSumExp");
        assertThat(allNegativeInfinity.logNormalizer()).isNull();

        ExactOracle.Reference positiveInfinity = ExactOracle.softmax(Double.POSITIVE_INFINITY, 0,
                Double.NEGATIVE_INFINITY);
        assertThat(positiveInfinity.prob()).hasSize(3).containsOnly(Double.NaN);
        assertThat(positiveInfinity.logProb()).hasSize(3).containsOnly(Double.NaN);
        assertBits(positiveInfinity.logSumExp(), Double.POSITIVE_INFINITY, "+inf: logSumExp");

        for (double[] x : new double[][] {{Double.NaN, 1}, {1, Double.NaN}, {Double.NaN, Double.POSITIVE_INFINITY},
                {Double.NEGATIVE_INFINITY, Double.NaN}, {Double.NaN}}) {
            ExactOracle.Reference r = ExactOracle.softmax(x);
            assertThat(r.prob()).hasSize(x.length).containsOnly(Double.NaN);
            assertThat(r.logProb()).hasSize(x.length).containsOnly(Double.NaN);
            assertThat(r.logSumExp()).isNaN();
            assertThat(r.logNormalizer()).isNull();
            assertThat(r.logSumExpExact()).isNull();
        }

        ExactOracle.Reference empty = ExactOracle.softmax();
        assertThat(empty.prob()).isEmpty();
        assertThat(empty.logProb()).isEmpty();
        assertBits(empty.logSumExp(), Double.NEGATIVE_INFINITY, "empty: logSumExp");

        ExactOracle.Reference withNegativeInfinity = ExactOracle.softmax(Double.NEGATIVE_INFINITY, 0, 1,
                Double.NEGATIVE_INFINITY);
        ExactOracle.Reference withoutIt = ExactOracle.softmax(0, 1);
        assertBits(withNegativeInfinity.prob()[0], 0.0, "-inf: prob");
        assertBits(withNegativeInfinity.logProb()[3], Double.NEGATIVE_INFINITY, "-inf: logProb");
        for (int i = 0; i < 2; i++) {
            assertBits(withNegativeInfinity.prob()[i + 1], withoutIt.prob()[i], "finite prob unchanged");
            assertBits(withNegativeInfinity.logProb()[i + 1], withoutIt.logProb()[i], "finite logProb unchanged");
        }
        assertBits(withNegativeInfinity.logSumExp(), withoutIt.logSumExp(), "logSumExp unchanged");
    }

    @Test
    void singleValuesAndTies() {
        for (double v : new double[] {-Double.MAX_VALUE, -1e300, Double.MIN_VALUE, 0.0, 1.5, 1e300}) {
            ExactOracle.Reference r = ExactOracle.softmax(v);
            assertBits(r.prob()[0], 1.0, "prob of [" + v + "]");
            assertBits(r.logProb()[0], 0.0, "logProb of [" + v + "]");
            assertBits(r.logSumExp(), v, "logSumExp of [" + v + "]");
        }
        ExactOracle.Reference r = ExactOracle.softmax(3, 3, 3, 3);
        assertThat(r.prob()).containsOnly(0.25);
        assertThat(r.logProb()).containsOnly(-1.3862943611198906);
        assertBits(r.logSumExp(), bd(3).add(LN2.multiply(bd(2))).doubleValue(), "3 + ln 4");
        assertDigits(r.logNormalizer(), LN2.multiply(bd(2)), 48, "L = ln 4");
    }

    // ------------------------------------------------------------------ softmax: independent recomputation

    /**
     * prob, logProb, logSumExp straight from the definition, with no maximum, no grouping and
     * no skipping: e_i = e^(x_i - c) with c = x_0 (exact differences; only so that tiny x keep
     * their digits), d = sum e_i, prob = e_i / d, logProb = log(e_i / d), LSE = c + log d.
     */
    private static void assertMatchesDefinition(double[] x) {
        BigDecimal c = bd(x[0]);
        BigDecimal[] e = new BigDecimal[x.length];
        BigDecimal d = BigDecimal.ZERO;
        for (int i = 0; i < x.length; i++) {
            e[i] = naiveExp(bd(x[i]).subtract(c));
            d = d.add(e[i], DIGITS_110);
        }
        ExactOracle.Reference r = ExactOracle.softmax(x);
        String input = Arrays.toString(x);
        for (int i = 0; i < x.length; i++) {
            BigDecimal p = e[i].divide(d, DIGITS_110);
            assertThat(ulpDistance(Double.parseDouble(p.round(DIGITS_60).toString()), r.prob()[i]))
                    .as("prob[%d] of %s", i, input).isZero();
            assertThat(ulpDistance(ExactOracle.log(p).doubleValue(), r.logProb()[i]))
                    .as("logProb[%d] of %s", i, input).isZero();
        }
        assertThat(ulpDistance(c.add(ExactOracle.log(d)).doubleValue(), r.logSumExp()))
                .as("logSumExp of %s", input).isZero();
    }

    @Test
    void softmaxMatchesTheDefinition() {
        Random random = new Random(23);
        for (int t = 0; t < 60; t++) {
            double[] x = new double[1 + random.nextInt(8)];
            for (int i = 0; i < x.length; i++) {
                x[i] = switch (random.nextInt(5)) {
                    case 0 -> (random.nextDouble() * 2 - 1) * 30;
                    case 1 -> i > 0 ? x[random.nextInt(i)] : 1.0; // ties
                    case 2 -> Math.scalb(random.nextDouble(), -random.nextInt(1100)); // many binades
                    case 3 -> random.nextBoolean() ? -0.0 : 0.0;
                    default -> Math.rint(random.nextGaussian() * 5);
                };
            }
            assertMatchesDefinition(x);
        }
        assertMatchesDefinition(new double[] {1.0, 0x1p-60, 3e-300, -0.0}); // x - m not a double
        assertMatchesDefinition(new double[] {-0.6931471805599453, -0.6931471805599453});
        assertMatchesDefinition(new double[] {2, 2, 1, 2, -3.5});
    }

    @Test
    void orderDoesNotMatter() {
        Random random = new Random(29);
        List<Double> values = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            values.add(random.nextInt(4) == 0 ? values.isEmpty() ? 0.0 : values.get(0) : random.nextGaussian() * 100);
        }
        double[] x = values.stream().mapToDouble(Double::doubleValue).toArray();
        ExactOracle.Reference r = ExactOracle.softmax(x);
        Collections.shuffle(values, random);
        double[] y = values.stream().mapToDouble(Double::doubleValue).toArray();
        ExactOracle.Reference shuffled = ExactOracle.softmax(y);
        for (int i = 0; i < y.length; i++) {
            int at = indexOf(x, y[i]);
            assertBits(shuffled.prob()[i], r.prob()[at], "prob");
            assertBits(shuffled.logProb()[i], r.logProb()[at], "logProb");
        }
        assertBits(shuffled.logSumExp(), r.logSumExp(), "logSumExp");
    }

    private static int indexOf(double[] x, double v) {
        for (int i = 0; i < x.length; i++) {
            if (x[i] == v) {
                return i;
            }
        }
        throw new AssertionError(v);
    }

    @Test
    void logSumExpNearZeroIsAbsolutelyAccurate() {
        // m = -ln2 rounded, L = ln 2 exactly: m + L = 2.3e-17 by cancellation.
        double m = -0.6931471805599453;
        ExactOracle.Reference r = ExactOracle.softmax(m, m);
        BigDecimal exact = LN2.add(bd(m));
        assertBits(r.logSumExp(), exact.doubleValue(), "logSumExp");
        assertThat(r.logSumExp()).isBetween(2.3e-17, 2.4e-17);
        assertThat(Accuracy.absoluteError(r.logSumExp(), r.logSumExpExact())).isLessThan(1e-32);
        assertThat(Accuracy.absoluteError(r.logSumExp(), exact)).isLessThan(1e-32);
    }

    // ------------------------------------------------------------------ softmax: size

    @Test
    void millionCopiesOfOneSmallTerm() {
        double[] x = new double[(1 << 20) + 1];
        Arrays.fill(x, -36.0);
        x[0] = 0.0;
        long start = System.nanoTime();
        ExactOracle.Reference r = ExactOracle.softmax(x);
        String time = TestReport.secondsSince(start);
        BigDecimal small = naiveExp(bd(-36));
        BigDecimal s = small.multiply(BigDecimal.valueOf(1 << 20));
        BigDecimal d = BigDecimal.ONE.add(s);
        assertBits(r.prob()[0], BigDecimal.ONE.divide(d, DIGITS_60).doubleValue(), "prob[0]");
        assertBits(r.prob()[1], small.divide(d, DIGITS_60).doubleValue(), "prob[1]");
        assertBits(r.prob()[1 << 20], r.prob()[1], "prob[last]");
        BigDecimal logD = ExactOracle.log1p(s);
        assertBits(r.logProb()[0], logD.negate().doubleValue(), "logProb[0]");
        assertBits(r.logProb()[5], bd(-36).subtract(logD).doubleValue(), "logProb[5]");
        assertBits(r.logSumExp(), logD.doubleValue(), "logSumExp");
        TestReport.measured("ExactOracle, [0] + 2^20 x [-36]", time);
    }

    @Test
    void hundredThousandDistinctValues() {
        Random random = new Random(31);
        double[] x = new double[100_000];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextGaussian() * 10;
        }
        long start = System.nanoTime();
        ExactOracle.Reference r = ExactOracle.softmax(x);
        TestReport.measured("ExactOracle, 10^5 distinct values", TestReport.secondsSince(start));
        // Each prob is within half an ulp of the truth, so the sum is within 2^-53 sum p = 2^-53.
        BigDecimal sum = BigDecimal.ZERO;
        for (double p : r.prob()) {
            sum = sum.add(bd(p), DIGITS_60);
        }
        assertThat(sum.subtract(BigDecimal.ONE).abs().doubleValue()).isLessThanOrEqualTo(1.001 * 0x1p-53);
        for (int i = 0; i < x.length; i += 997) {
            // log p and logProb agree to the rounding of each (relative 2^-52 on p).
            assertThat(Math.abs(Math.log(r.prob()[i]) - r.logProb()[i])).isLessThan(1e-13);
        }
    }

    // ------------------------------------------------------------------ Math.exp, Math.log

    @Test
    void mathExpAndLogAreWithinOneUlp() {
        Random random = new Random(37);
        for (int i = 0; i < 300; i++) {
            double x = i < 20 ? -708.0 - random.nextDouble() * 37
                    : random.nextDouble() * 1454 - 745; // subnormal results too
            long distance = ulpDistance(ExactOracle.exp(bd(x)).doubleValue(), Math.exp(x));
            assertThat(distance).as("Math.exp(%s)", x).isLessThanOrEqualTo(1);
        }
        for (int i = 0; i < 300; i++) {
            double x = Double.longBitsToDouble(random.nextLong() & 0x7fefffffffffffffL);
            if (x == 0.0) {
                continue;
            }
            long distance = ulpDistance(ExactOracle.log(bd(x)).doubleValue(), Math.log(x));
            assertThat(distance).as("Math.log(%s)", x).isLessThanOrEqualTo(1);
        }
    }
}
