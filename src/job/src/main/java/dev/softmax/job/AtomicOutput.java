/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import dev.softmax.core.SoftmaxException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * An output directory replaced all at once, or not at all, through the Hadoop FileSystem API
 * (so {@code file:} and {@code hdfs:} alike).
 *
 * <p>Spark writes into a temporary sibling with a unique name,
 * {@code .NAME.softmax-tmp-RUN}. Only after the write succeeded does {@link #commit()} move an
 * existing output to the backup sibling {@code .NAME.softmax-backup-RUN}, the temporary one
 * into place, and delete the backup. A failed run leaves the old output untouched and deletes
 * its temporary sibling ({@link #abort()}); a driver killed before that leaves a stale one,
 * which the next run for the same output deletes at start. A driver killed between the two
 * moves leaves the old output in the backup sibling: the next run reports it and leaves it
 * there (nothing is lost; move it back or delete it). Names starting with a dot are skipped by
 * Spark's readers, so the siblings never show up as data.
 *
 * <p>Two runs must not write the same output at the same time: the second deletes the first's
 * temporary sibling.
 */
final class AtomicOutput {

    static final String TEMPORARY_MARK = ".softmax-tmp-";
    static final String BACKUP_MARK = ".softmax-backup-";

    private final FileSystem fs;
    private final Path target;
    private final Path temporary;
    private final Path backup;
    private final List<String> notices = new ArrayList<>();

    private AtomicOutput(FileSystem fs, Path target, String runId) {
        this.fs = fs;
        this.target = target;
        String hiddenName = "." + target.getName();
        this.temporary = new Path(target.getParent(), hiddenName + TEMPORARY_MARK + runId);
        this.backup = new Path(target.getParent(), hiddenName + BACKUP_MARK + runId);
    }

    /** A name unique to one run: start time (readable in a listing) and a random part. */
    static String newRunId() {
        return LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT))
                + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /**
     * Checks the output named by {@code option} (exists: refused unless {@code overwrite}),
     * deletes stale temporary siblings of earlier runs and notes leftover backups.
     *
     * @throws SoftmaxException if the output exists and {@code overwrite} is false
     */
    static AtomicOutput prepare(Configuration hadoopConf, String option, Path target, boolean overwrite, String runId) {
        try {
            FileSystem fs = target.getFileSystem(hadoopConf);
            if (target.getParent() == null) {
                throw new SoftmaxException(option + ": the output cannot be the root directory " + target);
            }
            if (!overwrite && fs.exists(target)) {
                throw new SoftmaxException(option + ": " + target + " already exists; pass --overwrite to replace it");
            }
            AtomicOutput output = new AtomicOutput(fs, target, runId);
            output.cleanUp();
            return output;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the output " + target + ": " + e.getMessage(), e);
        }
    }

    private void cleanUp() throws IOException {
        Path parent = target.getParent();
        if (!fs.exists(parent)) {
            return;
        }
        String hiddenName = "." + target.getName();
        for (FileStatus sibling : fs.listStatus(parent)) {
            String name = sibling.getPath().getName();
            if (name.startsWith(hiddenName + TEMPORARY_MARK)) {
                fs.delete(sibling.getPath(), true);
                notices.add("deleted " + sibling.getPath() + ", the unfinished output of an earlier run that stopped");
            } else if (name.startsWith(hiddenName + BACKUP_MARK)) {
                notices.add("found " + sibling.getPath() + ": the output an earlier run was replacing when it stopped"
                        + " (nothing is lost; move it back to " + target + " or delete it)");
            }
        }
    }

    /** What {@link #prepare} found and did, one line each, for stderr. */
    List<String> notices() {
        return List.copyOf(notices);
    }

    /** The final output path. */
    Path target() {
        return target;
    }

    /** Where Spark writes; it must not exist yet. */
    Path temporary() {
        return temporary;
    }

    /** Puts the finished temporary output in place of the old one (if any), then drops the old one. */
    void commit() {
        try {
            boolean hadOld = fs.exists(target);
            if (hadOld && !fs.rename(target, backup)) {
                throw new IOException("cannot move " + target + " to " + backup);
            }
            if (!fs.rename(temporary, target)) {
                if (hadOld && !fs.exists(target)) {
                    fs.rename(backup, target);
                }
                throw new IOException("cannot move " + temporary + " to " + target);
            }
            if (hadOld) {
                fs.delete(backup, true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot put the output in place: " + e.getMessage(), e);
        }
    }

    /** Deletes the temporary output of a failed run; the old output stays as it was. */
    void abort() {
        try {
            fs.delete(temporary, true);
        } catch (IOException e) {
            notices.add("cannot delete " + temporary + ": " + e.getMessage());
        }
    }
}
