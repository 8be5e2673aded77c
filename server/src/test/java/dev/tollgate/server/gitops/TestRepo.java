package dev.tollgate.server.gitops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.PersonIdent;

/** A real Git repository in a temporary directory, committed to the way a platform team would. */
public final class TestRepo implements AutoCloseable {

    private final Git git;
    public final Path dir;

    public TestRepo(Path dir) throws Exception {
        this.dir = dir;
        this.git = Git.init().setDirectory(dir.toFile()).setInitialBranch("main").call();
    }

    /** Replaces the work tree's files with these and commits; returns the commit id. */
    public String commit(String message, Map<String, String> files) throws Exception {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.filter(p -> !dir.relativize(p).toString().startsWith(".git"))
                    .filter(Files::isRegularFile)
                    .sorted(Comparator.reverseOrder())
                    .forEach(p -> {
                        try {
                            Files.delete(p);
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    });
        }
        for (var f : files.entrySet()) {
            Path file = dir.resolve(f.getKey());
            Files.createDirectories(file.getParent());
            Files.writeString(file, f.getValue());
        }
        git.add().addFilepattern(".").call();
        git.add().setUpdate(true).addFilepattern(".").call();
        PersonIdent who = new PersonIdent("Pat Reviewer", "pat@example.com");
        return git.commit().setMessage(message).setAuthor(who).setCommitter(who).setSign(false).setAllowEmpty(true).call().name();
    }

    @Override
    public void close() {
        git.close();
    }
}
