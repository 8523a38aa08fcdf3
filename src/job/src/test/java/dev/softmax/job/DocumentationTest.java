/*
 * Licensed under the Apache License, Version 2.0; see the LICENSE file.
 */
package dev.softmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The documentation stands alone and says what the code does: every relative link of README.md
 * and docs/ reaches a file (and heading) of the repository, no file of the repository refers to
 * a file outside it, and docs/job.md shows the job's {@code --help} as the job prints it.
 */
class DocumentationTest {
    private static final Path REPOSITORY = RepositoryFiles.file("").toAbsolutePath().normalize();
    /** Markdown links and images: [text](target) and ![alt](target). */
    private static final Pattern LINK = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)\\)");
    private static final Pattern HEADING = Pattern.compile("^#{1,6} (.+)$");
    private static final Pattern FENCE = Pattern.compile("^\\s*```");
    /** Folders that are not sources: build output, job output, version control. */
    private static final Set<String> SKIPPED = Set.of(".git", "target", "output", ".idea");
    private static final Set<String> BINARY = Set.of("png", "jar", "parquet", "orc", "gz", "class", "crc");

    @Test
    void jobHelpIsWhatDocsJobShows() throws IOException {
        JobRunner.Result help = JobRunner.runWithoutSession("--help");
        assertThat(help.exitCode()).isZero();
        String doc = Files.readString(RepositoryFiles.file("docs/job.md"), StandardCharsets.UTF_8);
        String begin = "<!-- help:begin -->\n```\n";
        String end = "```\n<!-- help:end -->";
        assertThat(doc).contains(begin, end);
        String documented = doc.substring(doc.indexOf(begin) + begin.length(), doc.indexOf(end));
        assertThat(documented.stripTrailing())
                .as("docs/job.md's usage block must be what jobs/softmax --help prints")
                .isEqualTo(help.out().stripTrailing());
    }

    @Test
    void everyRelativeLinkReachesAFileAndHeadingOfTheRepository() throws IOException {
        List<String> broken = new ArrayList<>();
        List<Path> pages = markdownPages();
        assertThat(pages).contains(REPOSITORY.resolve("README.md"), REPOSITORY.resolve("docs/semantics.md"));
        for (Path page : pages) {
            for (String target : links(page)) {
                String problem = check(page, target);
                if (problem != null) {
                    broken.add(REPOSITORY.relativize(page) + ": (" + target + ") " + problem);
                }
            }
        }
        assertThat(broken).as("broken links").isEmpty();
    }

    @Test
    void noFileRefersToAFileOutsideTheRepository() throws IOException {
        // The names are built from parts so that this file does not match itself.
        List<String> outside = List.of(".." + "/shared", "DESIGN" + ".md");
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = sourceFiles()) {
            for (Path file : (Iterable<Path>) files::iterator) {
                String text = Files.readString(file, StandardCharsets.ISO_8859_1);
                for (String name : outside) {
                    if (text.contains(name)) {
                        found.add(REPOSITORY.relativize(file) + " mentions " + name);
                    }
                }
            }
        }
        assertThat(found).isEmpty();
    }

    private static List<Path> markdownPages() throws IOException {
        try (Stream<Path> files = sourceFiles()) {
            return files.filter(file -> file.toString().endsWith(".md")).collect(Collectors.toList());
        }
    }

    private static Stream<Path> sourceFiles() throws IOException {
        return Files.walk(REPOSITORY)
                .filter(path -> {
                    Path relative = REPOSITORY.relativize(path);
                    for (Path part : relative) {
                        if (SKIPPED.contains(part.toString())) {
                            return false;
                        }
                    }
                    return true;
                })
                .filter(Files::isRegularFile)
                .filter(path -> !BINARY.contains(extension(path)));
    }

    private static String extension(Path path) {
        String name = path.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    /** The link targets of a page, outside fenced code blocks and inline code. */
    private static List<String> links(Path page) throws IOException {
        List<String> targets = new ArrayList<>();
        for (String line : proseLines(page)) {
            Matcher matcher = LINK.matcher(line.replaceAll("`[^`]*`", ""));
            while (matcher.find()) {
                targets.add(matcher.group(1));
            }
        }
        return targets;
    }

    /** The lines of a page outside fenced code blocks (and without the fences). */
    private static List<String> proseLines(Path page) throws IOException {
        List<String> prose = new ArrayList<>();
        boolean inFence = false;
        for (String line : Files.readAllLines(page, StandardCharsets.UTF_8)) {
            if (FENCE.matcher(line).find()) {
                inFence = !inFence;
            } else if (!inFence) {
                prose.add(line);
            }
        }
        return prose;
    }

    /** Why a link is broken, or null when it reaches its file and heading. */
    private static String check(Path page, String target) throws IOException {
        if (target.matches("^[a-z][a-z0-9+.-]*:.*")) {
            return target.startsWith("http://") || target.startsWith("https://") || target.startsWith("mailto:")
                    ? null : "is neither a relative path nor a web address";
        }
        int hash = target.indexOf('#');
        String path = hash < 0 ? target : target.substring(0, hash);
        Path file = path.isEmpty() ? page : page.getParent().resolve(path).normalize();
        if (!file.startsWith(REPOSITORY)) {
            return "leaves the repository";
        }
        if (!Files.exists(file)) {
            return "no such file";
        }
        if (hash >= 0) {
            String anchor = target.substring(hash + 1);
            if (!file.toString().endsWith(".md")) {
                return "an anchor into a file that is not markdown";
            }
            if (!anchors(file).contains(anchor)) {
                return "no heading with the anchor #" + anchor + " in " + REPOSITORY.relativize(file);
            }
        }
        return null;
    }

    /** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces to hyphens. */
    private static Set<String> anchors(Path page) throws IOException {
        Set<String> anchors = new HashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        for (String line : proseLines(page)) {
            Matcher heading = HEADING.matcher(line);
            if (!heading.matches()) {
                continue;
            }
            String slug = heading.group(1).strip().toLowerCase(Locale.ROOT)
                    .replaceAll("[^\\p{L}\\p{N} _-]", "")
                    .replace(' ', '-');
            int count = seen.merge(slug, 1, Integer::sum);
            anchors.add(count == 1 ? slug : slug + "-" + (count - 1));
        }
        return anchors;
    }
}
