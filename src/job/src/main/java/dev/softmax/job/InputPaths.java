/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import dev.softmax.core.SoftmaxException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.GlobPattern;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * The input paths of one run, checked before Spark reads them: every path or glob must match
 * something, the format must be known, and no output may lie inside an input (or the other
 * way round, which {@code --overwrite} would delete).
 */
final class InputPaths {

    /** Files looked at to tell a directory's format; more would only slow a huge input down. */
    private static final int MAX_FILES_FOR_FORMAT = 1000;

    private final Configuration hadoopConf;
    private final List<String> patterns;
    private final List<Path> matches = new ArrayList<>();

    private InputPaths(Configuration hadoopConf, List<String> patterns) {
        this.hadoopConf = hadoopConf;
        this.patterns = List.copyOf(patterns);
    }

    /**
     * Checks that each path or glob matches at least one file or directory.
     *
     * @throws SoftmaxException naming the first one that matches nothing
     */
    static InputPaths resolve(Configuration hadoopConf, List<String> patterns) {
        InputPaths paths = new InputPaths(hadoopConf, patterns);
        for (String pattern : patterns) {
            Path path = new Path(pattern);
            FileStatus[] found;
            try {
                found = path.getFileSystem(hadoopConf).globStatus(path);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list input " + pattern + ": " + e.getMessage(), e);
            }
            if (found == null || found.length == 0) {
                throw new SoftmaxException(new GlobPattern(pattern).hasWildcard()
                        ? "--input: the glob " + pattern + " matches no file"
                        : "--input: no such file or directory: " + pattern);
            }
            for (FileStatus status : found) {
                paths.matches.add(status.getPath());
            }
        }
        return paths;
    }

    /** The paths and globs as given, for Spark's reader. */
    List<String> patterns() {
        return patterns;
    }

    /**
     * The format from the extension of the input files (of the files in a directory,
     * skipping hidden names such as {@code _SUCCESS}).
     *
     * @throws SoftmaxException if no file says, or files of different formats are mixed
     */
    DataFormat detectFormat() {
        Set<DataFormat> seen = EnumSet.noneOf(DataFormat.class);
        int looked = 0;
        try {
            for (Path match : matches) {
                FileSystem fs = match.getFileSystem(hadoopConf);
                if (fs.getFileStatus(match).isFile()) {
                    addFormat(seen, match.getName());
                    continue;
                }
                RemoteIterator<LocatedFileStatus> files = fs.listFiles(match, true);
                while (files.hasNext() && looked < MAX_FILES_FOR_FORMAT) {
                    Path file = files.next().getPath();
                    if (!isHidden(match, file)) {
                        addFormat(seen, file.getName());
                        looked++;
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list input: " + e.getMessage(), e);
        }
        if (seen.size() == 1) {
            return seen.iterator().next();
        }
        String what = seen.isEmpty()
                ? "cannot tell the format of " + String.join(" ", patterns) + " from its file names"
                : "the input mixes formats " + seen;
        throw new SoftmaxException(what + "; pass --input-format csv|parquet|json|orc");
    }

    private static void addFormat(Set<DataFormat> seen, String fileName) {
        DataFormat format = DataFormat.fromFileName(fileName);
        if (format != null) {
            seen.add(format);
        }
    }

    /** Spark's file sources skip names starting with _ or . (markers, checksums, temporaries). */
    private static boolean isHidden(Path root, Path file) {
        for (Path p = file; p != null && !p.equals(root); p = p.getParent()) {
            String name = p.getName();
            if (name.startsWith("_") && !name.contains("=") || name.startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Refuses an output (named by {@code option}) that lies inside an input path, matches an
     * input glob (now or once written), or contains an input.
     *
     * @throws SoftmaxException naming the output and the input
     */
    void checkOutsideInputs(String option, Path output) {
        String out = output.toUri().getPath();
        for (Path match : matches) {
            if (!sameFileSystem(match, output)) {
                continue;
            }
            String in = match.toUri().getPath();
            if (isSameOrInside(out, in)) {
                throw new SoftmaxException(option + ": the output " + output + " is inside the input " + match);
            }
            if (isSameOrInside(in, out)) {
                throw new SoftmaxException(option + ": the output " + output + " contains the input " + match);
            }
        }
        for (String pattern : patterns) {
            Path qualified = qualify(hadoopConf, pattern);
            if (!sameFileSystem(qualified, output)) {
                continue;
            }
            GlobPattern glob = new GlobPattern(qualified.toUri().getPath());
            for (Path p = output; p != null; p = p.getParent()) {
                if (glob.matches(p.toUri().getPath())) {
                    throw new SoftmaxException(option + ": the output " + output + " is inside the input " + pattern);
                }
            }
        }
    }

    static Path qualify(Configuration hadoopConf, String name) {
        Path path = new Path(name);
        try {
            return path.getFileSystem(hadoopConf).makeQualified(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + name + ": " + e.getMessage(), e);
        }
    }

    private static boolean sameFileSystem(Path a, Path b) {
        return String.valueOf(a.toUri().getScheme()).equalsIgnoreCase(String.valueOf(b.toUri().getScheme()))
                && String.valueOf(a.toUri().getAuthority()).equalsIgnoreCase(String.valueOf(b.toUri().getAuthority()));
    }

    private static boolean isSameOrInside(String path, String directory) {
        String dir = directory.endsWith("/") ? directory : directory + "/";
        return path.equals(directory) || path.startsWith(dir);
    }
}
