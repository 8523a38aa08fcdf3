/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import java.nio.file.Path;

/**
 * Files of the repository: {@code sample-data/} and the scripts of {@code jobs/}. Maven runs a
 * module's tests in the module's folder, so the build passes the repository's place as
 * {@code softmax.repository}.
 */
public final class RepositoryFiles {
    private static final Path REPOSITORY =
            Path.of(System.getProperty("softmax.repository", ".")).toAbsolutePath().normalize();

    private RepositoryFiles() {}

    /** The sample file {@code name}, as an absolute path. */
    public static Path sampleData(String name) {
        return REPOSITORY.resolve("sample-data").resolve(name);
    }

    /** A file of the repository, by its path from the top. */
    public static Path file(String path) {
        return REPOSITORY.resolve(path);
    }
}
