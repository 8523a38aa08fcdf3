/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden near-tie cases: inputs whose true prob, log_prob or logsumexp lies within 2^-60
 * (relative) of a midpoint between two doubles, found once by a search with
 * {@link ExactOracle} over random inputs of 2 to 4 values (the search itself is not part of
 * the suite). Only the inputs are kept: the expected values always come from the oracle, and
 * each case checks that its input still is that close to a tie, so a case cannot pass
 * vacuously. The distances the search measured are in the comments, as log2 of the relative
 * distance. The prob cases within 2^-77 are four of the first five random inputs, out of 25
 * million, on which prob's slow path ran (with the first boundary test; with today's, it ran
 * 11 times on 60 million rows, seeds 3 and 4); the fifth (2^-83.9) lies closer to its tie
 * than the state is accurate (see Normalizer), so it is no golden case, though it came out
 * exactly rounded too.
 */
class NearTieCasesTest {

    enum Output {
        PROB, LOG_PROB, LOG_SUM_EXP
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                // prob, through the fast path: its bound (2^-78) is far below these distances
                near(Output.PROB, 1, -60, -11.460198347617148, 1.9971743885487392, -10.417733206119246), // 2^-60.4
                near(Output.PROB, 0, -60, -9.238677446820137, -318.4706681720169, -16.465346732962242), // 2^-61.9
                near(Output.PROB, 0, -60, 7.647564932340135, 19.92789421666479, 15.405555096276423,
                        -117.22489311082501), // 2^-62.9
                near(Output.PROB, 0, -60, 10.920425977731728, -0.2537810648185257, -10.403315466311813), // 2^-60.2
                // prob within the fast path's bound: decided by the slow path (BigDecimal)
                near(Output.PROB, 0, -77, 11.43133606559627, -12.626771343802726), // 2^-78.2
                near(Output.PROB, 0, -77, -171.67904273593638, -13.211740345386298, -13.839642465432501), // 2^-78.0
                near(Output.PROB, 3, -77, -7.801183352112119, -1.2531546097188553, 17.956625048621177,
                        -17.270388605632462), // 2^-78.6
                near(Output.PROB, 0, -80, 13.127863096981407, 4.648554484223219, 6.631100050760704), // 2^-81.3
                // log_prob
                near(Output.LOG_PROB, 2, -60, 16.057904961202176, 14.18723820798214, -217.013852857336), // 2^-60.6
                near(Output.LOG_PROB, 0, -60, -10.621036499797745, -13.165567772251618, 2.238665244516657), // 2^-61.2
                // log_prob where x - m is a tie that only a tiny L breaks (the middle step decides)
                near(Output.LOG_PROB, 2, -100, 109.27041933392753, -84.40859059899446, 18.556891458272943,
                        186.5371677186738), // 2^-118.9
                near(Output.LOG_PROB, 2, -100, -41.45048216623192, 103.75773898501004, 12.007891933165801), // 2^-138.9
                near(Output.LOG_PROB, 2, -100, 212.4407152393653, 0.10463161549990829, 18.58516157632458), // 2^-287.3
                near(Output.LOG_PROB, 0, -100, -82.47139635377067, 6.354689578864516), // 2^-134.6
                // ... and a tie that the marked tiny L breaks: -1536 - 2^-43 - e^-1536
                near(Output.LOG_PROB, 1, -1000, 2304.0, Math.nextDown(768.0)),
                // logsumexp
                near(Output.LOG_SUM_EXP, 0, -60, 5.359736028228074, -12.084218246556283), // 2^-60.4
                near(Output.LOG_SUM_EXP, 0, -60, 19.01793432133305, -17.11379124341727, -10.18512205068118), // 2^-61.0
                near(Output.LOG_SUM_EXP, 0, -60, 13.386537500126074, -98.1618783585489, -3.9569028364859022,
                        -12.167513638401228), // 2^-60.8
                near(Output.LOG_SUM_EXP, 0, -60, 10.848190524727464, -163.03002038926934, -9.379509096205938,
                        17.62825728719001)); // 2^-64.0
    }

    private static Arguments near(Output output, int index, int log2Distance, double... x) {
        return Arguments.of(output, index, log2Distance, x);
    }

    @ParameterizedTest(name = "{0} of x[{1}] within 2^{2} of a tie")
    @MethodSource("cases")
    void exactlyRoundedNearATie(Output output, int index, int log2Distance, double[] x) {
        ExactOracle.Reference expected = ExactOracle.softmax(x);
        BigDecimal m = new BigDecimal(expected.max());
        BigDecimal logProb = new BigDecimal(x[index]).subtract(m).subtract(expected.logNormalizer());
        BigDecimal exact = switch (output) {
            case PROB -> ExactOracle.expWork(logProb);
            case LOG_PROB -> logProb;
            case LOG_SUM_EXP -> m.add(expected.logNormalizer());
        };
        assertThat(relativeDistanceToATie(exact)).as("still a near tie")
                .isLessThan(Math.scalb(1.0, log2Distance));

        Normalizer normalizer = ExactLogSumExp.of(x).finish();
        double actual = switch (output) {
            case PROB -> normalizer.prob(x[index]);
            case LOG_PROB -> normalizer.logProb(x[index]);
            case LOG_SUM_EXP -> normalizer.logSumExp();
        };
        double oracle = switch (output) {
            case PROB -> expected.prob()[index];
            case LOG_PROB -> expected.logProb()[index];
            case LOG_SUM_EXP -> expected.logSumExp();
        };
        assertThat(Double.doubleToRawLongBits(actual)).as("bits of %s, oracle %s", actual, oracle)
                .isEqualTo(Double.doubleToRawLongBits(oracle));
        // every output of the case, not just the near tie, and the array functions
        Accuracy.measure(normalizer, x, expected).assertExactlyRounded();
        assertThat(rawBits(Softmax.softmax(x))).isEqualTo(rawBits(expected.prob()));
        assertThat(rawBits(Softmax.logSoftmax(x))).isEqualTo(rawBits(expected.logProb()));
    }

    @Test
    void theSlowPathsDecideTheCasesWithinTheirBounds() {
        long prob = CorrectRounding.PROB_SLOW.sum();
        long expansion = CorrectRounding.LOG_PROB_EXPANSION.sum();
        double[] x = {11.43133606559627, -12.626771343802726};
        assertThat(ExactLogSumExp.of(x).finish().prob(x[0])).isEqualTo(ExactOracle.softmax(x).prob()[0]);
        assertThat(CorrectRounding.PROB_SLOW.sum()).as("BigDecimal prob").isGreaterThan(prob);
        double[] tie = {-82.47139635377067, 6.354689578864516};
        assertThat(ExactLogSumExp.of(tie).finish().logProb(tie[0])).isEqualTo(ExactOracle.softmax(tie).logProb()[0]);
        assertThat(CorrectRounding.LOG_PROB_EXPANSION.sum()).as("log_prob's middle step").isGreaterThan(expansion);
    }

    /** |v - t| / |v| for the midpoint t between two doubles nearest v. */
    static double relativeDistanceToATie(BigDecimal v) {
        double d = v.doubleValue();
        double other = v.compareTo(new BigDecimal(d)) > 0 ? Math.nextUp(d) : Math.nextDown(d);
        BigDecimal tie = new BigDecimal(d).add(new BigDecimal(other)).divide(BigDecimal.valueOf(2));
        return v.subtract(tie).abs().divide(v.abs(), MathContext.DECIMAL64).doubleValue();
    }

    private static long[] rawBits(double[] values) {
        return java.util.Arrays.stream(values).mapToLong(Double::doubleToRawLongBits).toArray();
    }
}
