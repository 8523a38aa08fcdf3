/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.integration;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * A real HDFS (Hadoop's MiniDFSCluster: one NameNode and one DataNode, each with its RPC, data
 * transfer and HTTP servers on 127.0.0.1) in a JVM of its own, started by {@code HdfsIT}.
 *
 * <p>Arguments: a base directory (the NameNode's and DataNode's storage) and a file to which
 * it writes the file system's URI ({@code hdfs://127.0.0.1:PORT}) once the cluster is up and
 * out of safe mode. It then runs until its standard input closes (the test JVM exited) or it
 * is killed by pid (its storage is under target/ and made anew by the next run).
 */
public final class MiniHdfsMain {

    private MiniHdfsMain() {
    }

    public static void main(String[] args) throws Exception {
        Path base = Path.of(args[0]).toAbsolutePath();
        Path uriFile = Path.of(args[1]).toAbsolutePath();
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.toString());
        conf.set("dfs.namenode.rpc-address", ItEnvironment.HOST + ":0");
        conf.set("dfs.namenode.http-address", ItEnvironment.HOST + ":0");
        conf.set("dfs.datanode.address", ItEnvironment.HOST + ":0");
        conf.set("dfs.datanode.http.address", ItEnvironment.HOST + ":0");
        conf.set("dfs.datanode.ipc.address", ItEnvironment.HOST + ":0");
        conf.setInt("dfs.replication", 1);
        // Blocks as small as a client asks for (HdfsIT puts its inputs in 16 KiB blocks).
        conf.setLong("dfs.namenode.fs-limits.min-block-size", 4096);
        MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf, base.toFile())
                .numDataNodes(1)
                .nameNodePort(0)
                .nameNodeHttpPort(0)
                .checkDataNodeAddrConfig(true)
                .build();
        cluster.waitActive();
        // getURI() names "localhost"; the tests stay on the address every server was bound to.
        String uri = "hdfs://" + ItEnvironment.HOST + ":" + cluster.getNameNodePort();
        Path tmp = uriFile.resolveSibling(uriFile.getFileName() + ".tmp");
        Files.writeString(tmp, uri + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, uriFile, StandardCopyOption.ATOMIC_MOVE);
        System.out.println("mini HDFS up at " + uri);
        System.out.flush();
        while (System.in.read() >= 0) {
            // runs until the test JVM closes our standard input or kills us
        }
        System.exit(0);
    }
}
