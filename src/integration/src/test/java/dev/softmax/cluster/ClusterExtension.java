/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.cluster;

import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One {@link StandaloneCluster} for the whole cluster suite: started by the first test that
 * needs it, kept in JUnit's root store and closed (every process killed) when the suite ends,
 * also when tests failed; a shutdown hook does the same if the JVM is stopped early. Before each
 * test the cluster is brought back to two idle, ALIVE Workers. Tests take the cluster as a
 * parameter ({@code @BeforeAll static void setUp(StandaloneCluster cluster)} or a test method's).
 */
final class ClusterExtension implements BeforeEachCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(ClusterExtension.class);
    private static RuntimeException startFailure;

    static synchronized StandaloneCluster cluster(ExtensionContext context) {
        if (startFailure != null) {
            throw new IllegalStateException("the cluster did not start (see the first failure)", startFailure);
        }
        try {
            return context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(StandaloneCluster.class,
                    key -> StandaloneCluster.start(), StandaloneCluster.class);
        } catch (RuntimeException e) {
            startFailure = e;
            throw e;
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        cluster(context).awaitHealthy();
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == StandaloneCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return cluster(context);
    }
}
