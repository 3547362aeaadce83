package example.sxp;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;

/**
 * Decodes Avro single-object-encoded sxp.lead-batch.v1 records with nothing but the schemas
 * in contracts/ and prints each one as a line of JSON.
 *
 * Usage: java example.sxp.Main CONTRACTS_DIR RECORD_FILE...
 * Each RECORD_FILE holds the raw value bytes of one Kafka record.
 */
public final class Main {
    private static final String TOPIC = "sxp.lead-batch.v1";

    private Main() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: Main CONTRACTS_DIR RECORD_FILE...");
            System.exit(2);
        }
        Path contracts = Path.of(args[0]);
        Schema reader = new Schema.Parser().parse(contracts.resolve("lead-batch.v1.avsc").toFile());
        BinaryMessageDecoder<GenericRecord> decoder =
                new BinaryMessageDecoder<>(GenericData.get(), reader);
        for (Path revision : revisions(contracts.resolve("revisions").resolve(TOPIC))) {
            decoder.addSchema(new Schema.Parser().parse(revision.toFile()));
        }
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        for (int i = 1; i < args.length; i++) {
            byte[] value = Files.readAllBytes(Path.of(args[i]));
            GenericRecord batch = decoder.decode(value);
            out.println(GenericData.get().toString(batch));
        }
    }

    /** Every frozen revision (rN.avsc): a writer may have used any of them. */
    private static List<Path> revisions(Path folder) throws IOException {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(folder)) {
            return found;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(folder, "r*.avsc")) {
            stream.forEach(found::add);
        }
        found.sort(null);
        return found;
    }
}
