/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
/**
 * Internal: how the public API of {@code dev.softmax.spark} runs inside Spark. Not for users'
 * code; these classes change without notice.
 * <ul>
 *   <li>Catalyst expressions: the aggregates ({@code SoftmaxAggregate},
 *       {@code FastSoftmaxAggregate}), the row-wise softmax ({@code RowWiseSoftmax},
 *       {@code SoftmaxCall}), the argument checks ({@code SoftmaxArgument}), the latter two on
 *       {@code PassThroughExpression}; all Products of their fields through
 *       {@code CatalystProduct} and its three bases ({@code ProductExpression},
 *       {@code ProductDeclarativeAggregate}, {@code ProductTypedImperativeAggregate});</li>
 *   <li>{@code SoftmaxFunctionRegistry}: every SQL function, its name, DESCRIBE text and
 *       builder, written once; {@code SoftmaxRuntime}: the static methods generated code calls;</li>
 *   <li>{@code SoftmaxPlan}: the DataFrame plans (one aggregate, then a map or a join);
 *       {@code StreamingWindowCheck}: the analysis check that rejects the aggregates over a
 *       window in a streaming plan with a message saying what to use instead;</li>
 *   <li>the shims, one copy per Spark line or Scala version (source folders under
 *       {@code src/spark/src/shims}): {@code ColumnExpressions}, {@code StaticInvokes},
 *       {@code StateEncoder}, {@code EncoderTypes}, {@code FunctionIdentifiers}, {@code ScalaCollections},
 *       {@code FunctionBuilder}.</li>
 * </ul>
 */
package dev.softmax.spark.catalyst;
