package io.streamrank.local;

import io.streamrank.datasets.RatingData;
import io.streamrank.model.features.FoldInTable;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Fits the fold-in correction's table of movie vectors for a production job, as {@code evaluate}
 * fits it for its fold-in variants.
 */
@Command(
    name = "fold-in-table",
    mixinStandardHelpOptions = true,
    description = {
      "Fits the fold-in table (one vector per movie, alternating least squares) on the ratings given"
          + " - the history the serving model was trained on - and writes it for the job's"
          + " streamrank.features.fold-in-table setting.",
      "The job keeps one table for its life: its user state is accumulated against it."
    })
final class FoldInTableCommand implements Callable<Integer> {
  @CommandLine.Mixin StreamrankCli.DataOptions data = new StreamrankCli.DataOptions();

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "Table file.")
  Path out;

  @Override
  public Integer call() throws Exception {
    StreamrankCli.requireWritableFile("--out", out);
    RatingData d = data.load();
    d.malformedSummary().ifPresent(System.err::println);
    StreamrankCli.require(!d.ratings().isEmpty(), "no ratings in " + d.source());
    FoldInTable table = PrequentialEvaluation.writeFoldInTable(d.ratings(), out);
    System.out.printf(
        "fold-in table of %,d movies x %d (ridge %.0f) from %,d ratings of %s, sha256 %s%n"
            + "serve it with: streamrank.features.enabled: true and"
            + " streamrank.features.fold-in-table: %s%n",
        table.size(),
        table.dim(),
        table.ridge(),
        d.ratings().size(),
        d.source(),
        table.sha256(),
        out.toAbsolutePath().toUri());
    return 0;
  }
}
