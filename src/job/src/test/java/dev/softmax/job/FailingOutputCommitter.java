/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import java.io.IOException;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.mapreduce.JobContext;
import org.apache.hadoop.mapreduce.TaskAttemptContext;
import org.apache.hadoop.mapreduce.lib.output.FileOutputCommitter;

/**
 * An output committer whose job commit fails after every task has written its files: a run
 * that fails as late as a run can, for the atomic-output tests (set through
 * {@code --conf spark.sql.sources.outputCommitterClass=...}).
 */
public class FailingOutputCommitter extends FileOutputCommitter {

    public FailingOutputCommitter(Path outputPath, TaskAttemptContext context) throws IOException {
        super(outputPath, context);
    }

    @Override
    public void commitJob(JobContext context) throws IOException {
        throw new IOException("disk full (simulated by FailingOutputCommitter)");
    }
}
