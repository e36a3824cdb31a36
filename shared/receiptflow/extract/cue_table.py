"""THE cue table: the words receipts print before a value, by role and language, in one place.

Each row of ``TABLE`` is ``role | language | cue ; cue ; …``. To support another language, add rows;
nothing else changes. Roles:

- amounts: ``total`` (a word for the total), ``due`` (the amount to pay: GRAND TOTAL, ZU ZAHLEN, DO
  ZAPŁATY), ``strong`` (words that make a total line surer: incl./gross/TTC), ``amount`` (AMOUNT, AMT),
  ``subtotal``, ``net`` (before tax: EXCL, NETTO, HT), ``gross`` (after tax: BRUTTO, TTC), ``incl``
  (including: INCL, INKL, INCLUS), ``included`` (INCLUDED, ENTHALTEN: a tax printed as part of the
  total), ``tax``, ``tip``, ``charge`` (service charge), ``discount``, ``rounding``, ``rounded`` (the
  rounded total), ``change``, ``balance_due`` (BALANCE DUE is not change), ``cash``, ``card``,
  ``paid``, ``tendered`` (handed over, even on a TOTAL row), ``ignore`` (TOTAL QTY, item counts,
  savings, deposits, points), ``table`` (the head of a tax summary table);
- dates and times: ``date`` (the sale date's label: DATE, DATUM, FECHA, TARIH, ДАТА, วันที่), ``time``
  (TIME, UHRZEIT, HEURE, SAAT), ``expiry`` (a date that is not the sale's: EXPIRY, VALID, GÜLTIG BIS,
  MHD, SCADENZA, WAŻNE DO, SON KULLANMA, СРОК).

Cue syntax: matched against text that ``fold`` upper-cased and stripped of diacritics (write cues with
or without accents). A space matches any run of spaces, hyphens, dots or nothing (``SUB TOTAL``
matches ``SUBTOTAL``, ``Sub-Total``). A cue must not touch another letter, unless it starts or ends
with ``*``: ``*SUMME`` matches ``ZWISCHENSUMME``, ``DISC*`` matches ``DISCOUNT``. Cues written in
scripts without spaces (Chinese, Japanese, Korean, Thai) match anywhere. ``{TOTAL}`` is TOTAL as OCR
misreads it (``T0TAL``, ``lotal``, ``TOTAI``, ``OTAL``). Otherwise cues are regular expressions without
backslashes (``INCLUDES?``, ``(GST|TAX)``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from receiptflow.extract.text import fold

TABLE = """
# role      | lang  | cues
total       | en    | *{TOTAL}* ; SUM
total       | de    | *SUMME ; GESAMT* ; *BETRAG ; ENDSUMME ; TOTAL
total       | fr    | TOTAL ; MONTANT
total       | es    | TOTAL ; IMPORTE
total       | it    | TOTALE ; IMPORTO ; TOTALE COMPLESSIVO
total       | nl    | TOTAAL ; BEDRAG
total       | pt    | TOTAL ; VALOR TOTAL
total       | pl    | SUMA ; RAZEM ; WARTOSC
total       | cs    | CELKEM ; SOUCET ; SUMA
total       | tr    | TOPLAM ; TUTAR
total       | sv    | SUMMA ; TOTALT ; TOTALBELOPP
total       | da    | I ALT ; BELOB ; TOTAL
total       | no    | SUM ; TOTALT ; BELOP
total       | fi    | YHTEENSA ; SUMMA
total       | ms    | JUMLAH ; JUMLAH BESAR
total       | id    | JUMLAH ; TOTAL
total       | zh    | 合计 ; 合計 ; 总计 ; 總計 ; 总额 ; 總額 ; 总金额
total       | ja    | 合計 ; 総計 ; お買上計
total       | ko    | 합계 ; 총액 ; 총 금액 ; 합 계
total       | th    | รวม ; ยอดรวม ; รวมเงิน ; จำนวนเงิน
total       | ru    | ИТОГ ; ИТОГО ; ВСЕГО ; СУММА
total       | uk    | РАЗОМ ; ВСЬОГО ; СУМА ; ПІДСУМОК
total       | bg    | ОБЩО ; СУМА ; ВСИЧКО
total       | et    | KOKKU ; SUMMA
total       | lv    | KOPA ; SUMMA
total       | lt    | IS VISO ; SUMA
total       | hu    | OSSZESEN ; OSSZEG
total       | ro    | TOTAL ; TOTAL DE PLATA
total       | el    | ΣΥΝΟΛΟ ; ΣΥΝΟΛΙΚΟ
total       | hr    | UKUPNO ; SVEUKUPNO ; IZNOS
total       | sk    | SPOLU ; SUMA ; CELKOM
total       | sl    | SKUPAJ ; ZNESEK
total       | vi    | TONG CONG ; TONG TIEN ; THANH TIEN
total       | ar    | المجموع ; الإجمالي ; الاجمالي
total       | he    | סה"כ ; סהכ
due         | en    | GRAND ?{TOTAL}* ; *PAYABLE ; DUE ; TO PAY ; TO BE PAID ; {TOTAL} PAY*
due         | en    | NETT ; BALANCE DUE
due         | de    | ZU ZAHLEN ; ZAHLBETRAG ; ENDBETRAG ; RECHNUNGSBETRAG ; GESAMTBETRAG
due         | fr    | A PAYER ; NET A PAYER ; RESTE A PAYER ; TOTAL TTC
due         | es    | A PAGAR ; TOTAL A PAGAR
due         | it    | DA PAGARE ; TOTALE DA PAGARE
due         | nl    | TE BETALEN
due         | pt    | A PAGAR ; TOTAL A PAGAR
due         | pl    | DO ZAPLATY ; DO ZAPL
due         | cs    | K UHRADE ; K ZAPLACENI ; CELKEM K UHRADE
due         | tr    | GENEL TOPLAM ; ODENECEK ; ODENECEK TUTAR
due         | sv    | ATT BETALA
due         | da    | AT BETALE
due         | no    | A BETALE
due         | ms    | JUMLAH BAYARAN ; JUMLAH PERLU DIBAYAR
due         | id    | TOTAL BAYAR ; GRAND TOTAL ; TOTAL BELANJA
due         | zh    | 应付 ; 應付 ; 实付 ; 實付 ; 应收 ; 應收
due         | ja    | お支払 ; ご請求 ; 請求額 ; お会計
due         | ko    | 결제금액 ; 결제 금액 ; 받을금액 ; 청구금액
due         | th    | ยอดสุทธิ ; สุทธิ ; ยอดชำระ ; รวมทั้งสิ้น ; ยอดเงินสุทธิ
due         | ru    | К ОПЛАТЕ
due         | uk    | ДО СПЛАТИ ; ДО ОПЛАТИ
due         | bg    | ЗА ПЛАЩАНЕ ; ДЪЛЖИМА СУМА
due         | hu    | FIZETENDO
due         | hr    | ZA PLATITI ; ZA PLACANJE
due         | sl    | ZA PLACILO
due         | sk    | K UHRADE ; NA UHRADU
due         | lt    | MOKETI
due         | et    | MAKSTA ; TASUDA
due         | de    | SALDO
strong      | en    | NETT? ?T* ; AFTER (ADJ|ROUND)* ; NET AMOUNT ; GROSS ; JUMLAH ; INCL* ; *I[A-Z]?CLUSIVE
strong      | fr    | TTC
strong      | de    | BRUTTO
strong      | es    | BRUTO
strong      | it    | LORDO
strong      | tr    | BRUT
amount      | en    | AMOUNT ; AMT ; AM[O0]UNT ; SALES ; *SIVE (OF )?(GST|TAX) ; WITH (GST|TAX)
subtotal    | en    | SUB ?[TLI1][O0QDB][TLI1]* ; BEFORE (GST|TAX|DISC*)
subtotal    | de    | ZWISCHENSUMME ; ZW SUMME ; ZWISCHENSUM*
subtotal    | fr    | SOUS {TOTAL}* ; SOUS ?[TLI1][O0QDB][TLI1]*
subtotal    | es    | SUBTOTAL ; SUMA PARCIAL
subtotal    | it    | SUBTOTALE ; PARZIALE ; SUB TOTALE
subtotal    | nl    | SUBTOTAAL ; TUSSENTOTAAL
subtotal    | pt    | SUBTOTAL
subtotal    | pl    | PODSUMA ; SUMA CZESCIOWA
subtotal    | cs    | MEZISOUCET
subtotal    | tr    | ARA TOPLAM ; ARATOPLAM
subtotal    | sv    | DELSUMMA ; DELSUM
subtotal    | da    | SUBTOTAL ; MELLEMSUM
subtotal    | no    | DELSUM ; SUBTOTAL
subtotal    | ms    | JUMLAH KECIL
subtotal    | zh    | 小计 ; 小計
subtotal    | ja    | 小計
subtotal    | ko    | 소계
subtotal    | th    | รวมย่อย ; ยอดรวมย่อย
subtotal    | ru    | ПОДЫТОГ ; ПРОМЕЖУТОЧНЫЙ ИТОГ
subtotal    | uk    | ПРОМІЖНИЙ ПІДСУМОК
subtotal    | bg    | МЕЖДИННА СУМА
net         | en    | EXCL* ; W/?O (GST|TAX) ; NET AMOUNT EXCL*
net         | de    | NETTO ; OHNE MWST ; NETTOBETRAG ; NETTOSUMME ; NETTOUMSATZ
net         | fr    | HT ; {TOTAL} HT ; HORS TAXES? ; MONTANT HT ; HTVA
net         | es    | BASE IMPONIBLE ; SIN IVA ; NETO
net         | it    | IMPONIBILE ; NETTO
net         | nl    | EXCL BTW ; NETTO
net         | pt    | SEM IVA ; BASE TRIBUTAVEL ; INCIDENCIA
net         | pl    | NETTO
net         | cs    | ZAKLAD ; BEZ DPH
net         | tr    | MATRAH ; KDV HARIC
net         | sv    | EXKL MOMS ; NETTO
net         | da    | EKSKL MOMS ; NETTO
net         | no    | EKS MVA ; NETTO
net         | ru    | БЕЗ НДС
net         | uk    | БЕЗ ПДВ
net         | bg    | БЕЗ ДДС ; ДАНЪЧНА ОСНОВА ; ДАН ОСНОВА
net         | ja    | 税抜 ; 税別
net         | zh    | 不含税 ; 未税
net         | ko    | 공급가액 ; 과세물품가액
net         | th    | ก่อนภาษี ; มูลค่าสินค้า ; มูลค่าก่อนภาษี
net         | et    | ILMA KM* ; KM-TA
gross       | en    | GROSS
gross       | de    | BRUTTO*
gross       | fr    | TTC ; TVAC
gross       | es    | BRUTO
gross       | it    | LORDO
gross       | pl    | BRUTTO
gross       | tr    | BRUT
incl        | en    | [IL1]NCL* ; *I[A-Z]?CLUSIVE ; *IN[A-Z]{1,3}SIVE ; INC (GST|TAX|VAT)
incl        | en    | *SIVE (OF )?(GST|TAX) ; WITH (GST|TAX)
incl        | de    | INKL* ; INKLUSIVE
incl        | fr    | INCLUS* ; COMPRIS
incl        | es    | INCLUIDO ; INCL
incl        | it    | INCLUSA ; INCLUSO ; COMPRESA
incl        | nl    | INCL ; INCLUSIEF
incl        | pt    | INCLUIDO ; INCL
incl        | pl    | W TYM
incl        | tr    | DAHIL
incl        | sv    | INKL ; INKLUSIVE
incl        | da    | INKL
incl        | ms    | TERMASUK
incl        | ru    | В Т Ч ; ВКЛЮЧАЯ
incl        | uk    | У Т Ч ; В Т Ч
incl        | ja    | 税込 ; 内税
incl        | zh    | 含税
incl        | th    | รวมภาษี
included    | en    | *INCLUDED ; *INCLUDES?
included    | de    | ENTHALTEN* ; ENTH ; DARIN
included    | fr    | DONT
included    | es    | INCLUIDO
included    | pl    | W TYM
tax         | en    | (GST|TAX)(?={TOTAL})* ; GST ; TAX ; VAT ; SST ; SALES TAX ; SERVICE TAX
tax         | en    | HST ; PST ; QST ; GST/HST ; CGST ; SGST ; IGST ; UTGST
tax         | de    | MWST* ; UST ; MEHRWERTSTEUER ; UMSATZSTEUER ; STEUER
tax         | fr    | TVA ; TAXE
tax         | es    | IVA ; I V A
tax         | it    | IVA
tax         | nl    | BTW
tax         | pt    | IVA
tax         | pl    | PTU ; VAT ; PODATEK
tax         | cs    | DPH
tax         | tr    | *KDV
tax         | sv    | MOMS
tax         | da    | MOMS
tax         | no    | MVA
tax         | fi    | ALV
tax         | hu    | AFA
tax         | ms    | CUKAI
tax         | id    | PPN ; PAJAK
tax         | zh    | 税额 ; 税 ; 稅
tax         | ja    | 消費税 ; 税
tax         | ko    | 부가세 ; 세액 ; 부가가치세
tax         | th    | ภาษี ; ภาษีมูลค่าเพิ่ม
tax         | ru    | НДС
tax         | uk    | ПДВ
tax         | bg    | ДДС
tax         | et    | KAIBEMAKS ; KM
tax         | lv    | PVN
tax         | lt    | PVM
tax         | ro    | TVA
tax         | el    | ΦΠΑ ; Φ Π Α
tax         | hr    | PDV
tax         | sk    | DPH
tax         | sl    | DDV
tax         | vi    | VAT ; THUE
tax         | ar    | ضريبة ; الضريبة
tax         | he    | מע"מ ; מעמ
tip         | en    | TIPS? ; GRATUITY
tip         | de    | TRINKGELD
tip         | fr    | POURBOIRE
tip         | es    | PROPINA
tip         | it    | MANCIA
tip         | nl    | FOOI
tip         | pt    | GORJETA
tip         | pl    | NAPIWEK
tip         | cs    | SPROPITNE ; DYSKO
tip         | tr    | BAHSIS
tip         | sv    | DRICKS
tip         | da    | DRIKKEPENGE
tip         | no    | DRIKKEPENGER ; TIPS
tip         | zh    | 小费 ; 小費
tip         | ja    | チップ
tip         | ko    | 팁
tip         | th    | ทิป
tip         | ru    | ЧАЕВЫЕ
tip         | uk    | ЧАЙОВІ
tip         | bg    | БАКШИШ
charge      | en    | (SERVICE|SVC|SVR|SRV) ?(CHARGE|CHRG|CHG) ; S ?CHARGE
charge      | de    | BEDIENUNG ; SERVICEGEBUHR
charge      | fr    | SERVICE COMPRIS
charge      | es    | SERVICIO
charge      | it    | SERVIZIO ; COPERTO
charge      | nl    | BEDIENING
charge      | pt    | TAXA DE SERVICO ; SERVICO
charge      | pl    | SERWIS ; OPLATA SERWISOWA
charge      | tr    | SERVIS UCRETI
charge      | ms    | CAJ PERKHIDMATAN
charge      | id    | BIAYA LAYANAN
charge      | zh    | 服务费 ; 服務費
charge      | ja    | サービス料
charge      | ko    | 봉사료
charge      | th    | ค่าบริการ ; เซอร์วิสชาร์จ
charge      | ru    | ОБСЛУЖИВАНИЕ
charge      | uk    | ОБСЛУГОВУВАННЯ
discount    | en    | DISC ; DISCOUNT* ; VOUCHER ; COUPON ; LESS ; PROMO* ; MARKDOWN
discount    | de    | RABATT* ; NACHLASS ; PREISVORTEIL ; *RABATT
discount    | fr    | REMISE ; REDUCTION ; REDUC
discount    | es    | DESCUENTO ; DTO
discount    | it    | SCONTO
discount    | nl    | KORTING
discount    | pt    | DESCONTO
discount    | pl    | RABAT ; UPUST ; OBNIZKA
discount    | cs    | SLEVA
discount    | tr    | INDIRIM ; ISKONTO
discount    | fi    | ALENNUS
discount    | ms    | DISKAUN ; POTONGAN
discount    | id    | DISKON ; POTONGAN
discount    | zh    | 折扣 ; 优惠 ; 優惠
discount    | ja    | 割引 ; 値引
discount    | ko    | 할인
discount    | th    | ส่วนลด
discount    | ru    | СКИДКА
discount    | uk    | ЗНИЖКА
discount    | bg    | ОТСТЪПКА
rounding    | en    | ROUND* ; ADJ
rounding    | de    | RUNDUNG ; GERUNDET
rounding    | fr    | ARRONDI*
rounding    | es    | REDONDEO
rounding    | it    | ARROTONDAMENTO
rounding    | nl    | AFRONDING*
rounding    | pt    | ARREDONDAMENTO
rounding    | pl    | ZAOKRAGLENIE
rounding    | cs    | ZAOKROUHLENI
rounding    | tr    | YUVARLAMA
rounding    | sv    | *AVRUNDNING ; AVRUNDAT
rounding    | da    | AFRUNDING
rounding    | no    | AVRUNDING
rounding    | ms    | PEMBUNDARAN ; BUNDAR
rounding    | id    | PEMBULATAN
rounding    | ja    | 端数
rounding    | th    | ปัดเศษ
rounding    | ru    | ОКРУГЛЕНИЕ
rounding    | uk    | ЗАОКРУГЛЕННЯ
rounding    | bg    | ЗАКРЪГЛЯНЕ
rounded     | en    | {TOTAL} ?(ROUND|AFTER)* ; ROUND[A-Z]* ?[TLI1][O0]T*
change      | en    | *CHANGE* ; BAL ; BALANCE ; CHG AMT ; CHG ; CHNG
change      | de    | RUCKGELD ; ZURUCK ; WECHSELGELD
change      | fr    | RENDU ; MONNAIE RENDUE ; A RENDRE
change      | es    | CAMBIO ; VUELTO ; VUELTA ; SU CAMBIO
change      | it    | RESTO
change      | nl    | WISSELGELD ; TERUG
change      | pt    | TROCO
change      | pl    | RESZTA
change      | cs    | VRACENO ; VRATIT
change      | tr    | PARA USTU ; ARTAN
change      | sv    | VAXEL ; TILLBAKA ; VAXELPENGAR
change      | da    | BYTTEPENGE ; RETUR ; TILBAGE
change      | no    | VEKSEL ; TILBAKE
change      | ms    | KEMBALI ; BAKI
change      | id    | KEMBALIAN ; KEMBALI
change      | zh    | 找零 ; 找赎 ; 找續 ; 找 零
change      | ja    | お釣り ; おつり ; 釣銭 ; お釣
change      | ko    | 거스름돈 ; 잔돈 ; 거스름
change      | th    | เงินทอน ; ทอน
change      | ru    | СДАЧА
change      | uk    | РЕШТА ; ЗДАЧА
change      | bg    | РЕСТО
change      | et    | TAGASI ; TAGASTUS
change      | lv    | ATLIKUMS
change      | lt    | GRAZA
change      | hu    | VISSZAJARO
change      | ro    | REST
change      | el    | ΡΕΣΤΑ
change      | hr    | POVRAT ; VRACENO
change      | sk    | VYDAVOK ; VRATENE
change      | sl    | VRACILO
change      | vi    | TIEN THOI ; TIEN TRA LAI
change      | ar    | الباقي
change      | he    | עודף
balance_due | en    | BAL(ANCE)? DUE
cash        | en    | CASH ; TUNAI
cash        | de    | BAR ; BARGELD ; GEGEBEN ; BAR GEGEBEN
cash        | fr    | ESPECES ; LIQUIDE
cash        | es    | EFECTIVO ; ENTREGADO
cash        | it    | CONTANTI ; CONTANTE
cash        | nl    | CONTANT ; ONTVANGEN
cash        | pt    | DINHEIRO ; NUMERARIO
cash        | pl    | GOTOWKA ; GOTOWKI
cash        | cs    | HOTOVOST ; HOTOVE ; PRIJATO
cash        | tr    | NAKIT
cash        | sv    | KONTANT* ; MOTTAGET
cash        | da    | KONTANT*
cash        | no    | KONTANT*
cash        | ms    | TUNAI
cash        | zh    | 现金 ; 現金 ; 实收 ; 實收
cash        | ja    | 現金 ; お預り ; お預かり ; 預り
cash        | ko    | 현금 ; 받은금액 ; 받은 금액
cash        | th    | เงินสด ; รับเงิน
cash        | ru    | НАЛИЧНЫ* ; НАЛ
cash        | uk    | ГОТІВК*
cash        | bg    | В БРОЙ
cash        | et    | SULARAHA
cash        | lv    | SKAIDRA NAUDA
cash        | lt    | GRYNIEJI ; GRYNAIS
cash        | hu    | KESZPENZ
cash        | ro    | NUMERAR
cash        | el    | ΜΕΤΡΗΤΑ
cash        | hr    | GOTOVINA
cash        | sk    | HOTOVOST
cash        | sl    | GOTOVINA
cash        | vi    | TIEN MAT
cash        | ar    | نقدا ; نقداً
cash        | he    | מזומן
card        | en    | CARD ; VISA ; MASTER* ; AMEX ; DEBIT ; CREDIT ; EFTPOS ; CONTACTLESS
card        | de    | KARTE ; EC ; EC ?KARTE ; GIROCARD ; KARTENZAHLUNG ; *KARTE
card        | fr    | CARTE* ; CB
card        | es    | TARJETA
card        | it    | CARTA ; BANCOMAT
card        | nl    | PIN ; PINNEN ; MAESTRO
card        | pt    | CARTAO ; MULTIBANCO
card        | pl    | KARTA ; KARTA PLATNICZA
card        | cs    | KARTA ; KARTOU ; PLATEBNI KARTA
card        | tr    | KREDI KARTI ; KART
card        | sv    | KORT ; BANKKORT
card        | da    | KORT ; DANKORT
card        | no    | KORT ; BANKKORT
card        | ms    | KAD
card        | zh    | 信用卡 ; 刷卡 ; 银行卡
card        | ja    | クレジット ; カード
card        | ko    | 카드 ; 신용카드
card        | th    | บัตรเครดิต ; บัตร
card        | ru    | КАРТА ; КАРТОЙ ; БЕЗНАЛИЧН*
card        | uk    | КАРТКА ; КАРТКОЮ ; БЕЗГОТІВК*
card        | bg    | С КАРТА ; КАРТА
paid        | en    | PAID ; PAYMENT ; TEND*
paid        | de    | BEZAHLT ; GEZAHLT ; ZAHLUNG
paid        | fr    | PAYE ; REGLEMENT ; PAIEMENT
paid        | es    | PAGADO ; PAGO
paid        | it    | PAGATO ; PAGAMENTO
paid        | nl    | BETAALD ; BETALING
paid        | pt    | PAGO ; PAGAMENTO
paid        | pl    | ZAPLACONO ; PLATNOSC
paid        | cs    | ZAPLACENO ; PLATBA
paid        | tr    | ODENEN ; ODEME
paid        | sv    | BETALT ; BETALNING
paid        | da    | BETALT ; BETALING
paid        | no    | BETALT ; BETALING
paid        | ms    | DIBAYAR ; BAYARAN
paid        | id    | DIBAYAR ; PEMBAYARAN ; BAYAR
paid        | zh    | 支付 ; 付款 ; 收款
paid        | ko    | 결제
paid        | th    | ชำระ ; ชำระเงิน
paid        | ru    | ОПЛАЧЕНО ; ОПЛАТА
paid        | uk    | ОПЛАЧЕНО ; ОПЛАТА
paid        | bg    | ПЛАТЕНО ; ПЛАЩАНЕ
tendered    | en    | TEND* ; ACCEPTED ; RECEIVED
ignore      | en    | {TOTAL} ?(QTY|QUANTITY|ITEMS?|ITEM COUNT|PCS|UNITS?|NO|POINTS?|SAVINGS?|WEIGHT|DISC)*
ignore      | en    | QTY ; ITEMS? ?COUNT ; NO ?OF ?ITEMS? ; POINTS ; MEMBER ; DEPOSIT ; YOU SAVED? ; SAVING*
ignore      | en    | REWARDS? BAL* ; (GIFT ?)?CARD BAL* ; REMAINING BAL* ; PREPAID BAL*
ignore      | de    | ANZAHL* ; ARTIKEL ; PUNKTE ; GESPART ; STUCK ; *GUTHABEN
ignore      | fr    | NB ARTICLES ; NOMBRE D ?ARTICLES ; ARTICLES ; POINTS ; ECONOMIE*
ignore      | fr    | SOLDE (CARTE|FIDELITE|CAGNOTTE) ; CAGNOTTE
ignore      | es    | ARTICULOS ; UNIDADES ; AHORRO ; PUNTOS ; SALDO (TARJETA|MONEDERO)
ignore      | it    | ARTICOLI ; PEZZI ; RISPARMI* ; PUNTI ; SALDO (CARTA|PUNTI)
ignore      | nl    | AANTAL* ; ARTIKELEN ; VOORDEEL ; PUNTEN
ignore      | pt    | ARTIGOS ; ITENS ; POUPANCA
ignore      | pl    | ILOSC ; LICZBA ; OSZCZEDNOSC*
ignore      | cs    | POCET ; POLOZEK ; USPORA
ignore      | tr    | ADET ; KAZANC
ignore      | sv    | ANTAL* ; ARTIKLAR
ignore      | da    | ANTAL* ; VARER
ignore      | no    | ANTALL* ; VARER
ignore      | zh    | 数量 ; 件数 ; 數量
ignore      | ja    | 点数 ; 数量
ignore      | ko    | 수량
ignore      | th    | จำนวนชิ้น
ignore      | ru    | КОЛИЧЕСТВО ; КОЛ ВО
ignore      | uk    | КІЛЬКІСТЬ
table       | en    | (GST|TAX|VAT) ?(SUMMARY|ANALYSIS|CODE|RATE|DETAILS?) ; SUMMARY ?(GST|TAX|VAT) ; CODE.*%
table       | de    | MWST ?% ; MWST ?SATZ ; STEUERSATZ ; STEUER ?% ; USTSATZ
table       | fr    | TAUX ; TAUX TVA
table       | es    | TASA ; TIPO IVA ; % IVA
table       | it    | ALIQUOTA ; ALIQ
table       | nl    | BTW ?%
table       | pt    | TAXA IVA ; TAXA
table       | pl    | STAWKA ; STAWKA PTU ; SPRZEDAZ OPODATKOWANA
table       | cs    | SAZBA ; SAZBA DPH
table       | tr    | KDV ORANI ; ORAN
table       | sv    | MOMS ?%
date        | en    | *DATE ; DATED ; DT
date        | ms    | TARIKH
date        | id    | TANGGAL ; TGL
date        | de    | DATUM ; *DATUM
date        | fr    | DATE
date        | es    | FECHA
date        | it    | DATA
date        | nl    | DATUM
date        | pt    | DATA
date        | pl    | DATA
date        | cs    | DATUM
date        | tr    | TARIH
date        | sv    | DATUM
date        | da    | DATO
date        | no    | DATO
date        | fi    | PVM ; PAIVAMAARA
date        | ru    | ДАТА
date        | uk    | ДАТА
date        | bg    | ДАТА
date        | th    | วันที่
date        | ja    | 日付
date        | zh    | 日期
date        | ko    | 날짜 ; 일자
time        | en    | TIME
time        | ms    | MASA
time        | id    | WAKTU ; JAM
time        | de    | ZEIT ; UHRZEIT ; UHR
time        | fr    | HEURE
time        | es    | HORA
time        | it    | ORA
time        | nl    | TIJD
time        | pt    | HORA
time        | pl    | CZAS ; GODZ
time        | cs    | CAS
time        | tr    | SAAT
time        | sv    | TID
time        | da    | TID ; KLOKKEN
time        | no    | TID ; KLOKKEN
time        | fi    | KLO
time        | ru    | ВРЕМЯ
time        | uk    | ЧАС
time        | bg    | ЧАС
time        | th    | เวลา
time        | ja    | 時刻 ; 時間
time        | zh    | 时间 ; 時間
time        | ko    | 시간
expiry      | en    | EXP ; EXP* ; VALID* ; BEST BEFORE ; USE BY ; DUE ; RETURNS? (BY|BEFORE|UNTIL)
expiry      | de    | GULTIG* ; HALTBAR* ; MHD ; MINDESTENS HALTBAR
expiry      | fr    | VALABLE* ; A CONSOMMER ; DLC ; DLUO ; EXPIRE*
expiry      | es    | VALIDO ; VALIDA ; CADUCIDAD ; CONSUMIR ANTES ; VENCE* ; VENCIMIENTO
expiry      | it    | SCADENZA ; VALIDO ; VALIDA
expiry      | nl    | GELDIG* ; HOUDBAAR* ; TEN MINSTE HOUDBAAR
expiry      | pt    | VALIDADE ; VALIDO ; VALIDA
expiry      | pl    | WAZNE ; WAZNY ; WAZNOSC ; TERMIN
expiry      | cs    | PLATNOST ; PLATNE ; SPOTREBUJTE
expiry      | tr    | SON KULLANMA ; SKT ; GECERLI*
expiry      | sv    | GILTIG* ; BAST FORE
expiry      | da    | GYLDIG* ; BEDST FOR
expiry      | no    | GYLDIG* ; BEST FOR
expiry      | ru    | СРОК ; ГОДЕН ; ДЕЙСТВИТЕЛЕН
expiry      | uk    | ДІЙСН* ; ПРИДАТН*
expiry      | bg    | ВАЛИДН* ; ГОДЕН
expiry      | th    | หมดอายุ
expiry      | ja    | 期限
expiry      | zh    | 有效期 ; 到期
"""

# Scripts written without spaces between words: their cues match anywhere.
_NO_SPACE_SCRIPT = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_OCR_TOTAL = "(?:(?:[TLI1][O0QDB]|(?<![A-Z])[O0])[TLI1]A(?:[LI1]|]))"
_LETTER = r"[^\W\d_]"


@dataclass(frozen=True)
class Cue:
    """One row entry: a cue, its role and language."""

    role: str
    lang: str
    text: str


def rows(table: str = TABLE) -> list[Cue]:
    """Every cue of the table, in order."""
    out: list[Cue] = []
    for line in table.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        role, lang, cues = (part.strip() for part in line.split("|", 2))
        out.extend(Cue(role, lang, c.strip()) for c in cues.split(" ; ") if c.strip())
    return out


def cue_pattern(cue: str) -> str:
    """The regular expression of one cue (see the module docstring)."""
    glue_left, glue_right = cue.startswith("*"), cue.endswith("*")
    body = fold(cue.strip("*")).replace("{TOTAL}", _OCR_TOTAL)
    body = re.sub(r" +", r"[\\s\\-.]*", body)
    if _NO_SPACE_SCRIPT.search(body):
        return f"(?:{body})"
    left = "" if glue_left else f"(?<!{_LETTER})"
    right = "" if glue_right else f"(?!{_LETTER})"
    return f"{left}(?:{body}){right}"


_SYNTAX = re.compile(r"\[[^\]]*\]|\([^()]*\)[?*]?|\{\w+\}")
_RUN = re.compile(r"[^\W\d_]+")


def literal(cue: str) -> str | None:
    """The longest run of letters every match of ``cue`` contains (folded), or None when the cue has
    none for sure; used to skip cue patterns quickly on text that cannot match them."""
    body = _SYNTAX.sub("#", fold(cue.strip("*")))
    if "|" in body:
        return None
    runs = []
    for m in _RUN.finditer(body):
        run = m.group(0)
        if body[m.end() : m.end() + 1] in ("?", "*", "{"):
            run = run[:-1]
        runs.append(run)
    return max(runs, key=len) if any(runs) else None


@dataclass(frozen=True)
class _Index:
    """The cues by their literal, the cues without one, and a scanner finding the literals present."""

    by_literal: dict[str, list[tuple[Cue, re.Pattern[str]]]]
    always: list[tuple[Cue, re.Pattern[str]]]
    scanner: re.Pattern[str]
    contained: dict[str, frozenset[str]]  # literal -> every literal inside it (itself included)


@lru_cache(maxsize=1)
def _index() -> _Index:
    by_literal: dict[str, list[tuple[Cue, re.Pattern[str]]]] = {}
    always: list[tuple[Cue, re.Pattern[str]]] = []
    for cue in rows():
        lit = literal(cue.text)
        entry = (cue, re.compile(cue_pattern(cue.text)))
        (by_literal.setdefault(lit, []) if lit else always).append(entry)
    lits = sorted(by_literal, key=len, reverse=True)
    scanner = re.compile("(?=(" + "|".join(re.escape(lit) for lit in lits) + "))")
    contained = {lit: frozenset(o for o in lits if o in lit) for lit in lits}
    return _Index(by_literal, always, scanner, contained)


def _matches(text: str) -> Iterator[Cue]:
    """Every cue found in ``text`` (in both forms); only cues whose literal occurs are searched."""
    index = _index()
    forms = _forms(text)
    present: set[str] = set()
    for t in forms:
        for m in index.scanner.finditer(t):
            present |= index.contained[m.group(1)]
    candidates = index.always + [entry for lit in present for entry in index.by_literal[lit]]
    for cue, pattern in candidates:
        if any(pattern.search(t) for t in forms):
            yield cue


_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
# OCR slips in a cue word: a digit for a letter ("2U ZAHLEN", "5UMME", "8ARGELD") in a word that also
# has letters, or one letter for another in a word of five letters or more ("SUMNE", "ZAHLEM")
_MIXED = re.compile(r"(?<![^\W_])(?=[^\W_]*[^\W\d_])(?=[^\W_]*\d)[^\W_]+(?![^\W_])")
_DIGIT_LETTER = str.maketrans("01258", "OIZSB")
_WORD = re.compile(r"(?<![^\W\d_])[^\W\d_]{5,}(?![^\W\d_])")
_FUZZY_MIN = 5


@lru_cache(maxsize=1)
def _near_words() -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    """The cue table's literal words of five letters or more, and each one-letter-blanked form of
    them ("SU?ME") with the words it comes from."""
    words = {w for w in _index().by_literal if len(w) >= _FUZZY_MIN and w.isalpha()}
    near: dict[str, set[str]] = {}
    for w in words:
        for i in range(len(w)):
            near.setdefault(w[:i] + "?" + w[i + 1 :], set()).add(w)
    return frozenset(words), {k: frozenset(v) for k, v in near.items()}


def _mend_word(m: re.Match[str]) -> str:
    return _mended(m.group(0))


@lru_cache(maxsize=16384)
def _mended(word: str) -> str:
    words, near = _near_words()
    if word in words:
        return word
    found = {w for i in range(len(word)) for w in near.get(word[:i] + "?" + word[i + 1 :], ())}
    return next(iter(found)) if len(found) == 1 else word


@lru_cache(maxsize=1)
def _cue_words() -> frozenset[str]:
    """Every run of letters written in a cue of the table (folded)."""
    return frozenset(w for cue in rows() for w in _RUN.findall(fold(cue.text.strip("*"))))


def _mend_mixed(m: re.Match[str]) -> str:
    word = m.group(0).translate(_DIGIT_LETTER)
    return word if word in _cue_words() else m.group(0)


def mend_ocr(folded: str) -> str:
    """``folded`` text with the OCR slips in cue words above repaired (``2U ZAHLEN`` → ``ZU ZAHLEN``,
    ``SUMNE`` → ``SUMME``); other words (codes such as ``P0S001``) unchanged."""
    return _WORD.sub(_mend_word, _MIXED.sub(_mend_mixed, folded))


def _forms(text: str) -> tuple[str, ...]:
    """Text as cues are matched: ``fold``-ed, with words glued in camel case split apart
    (``CashChange``; but ``MwSt`` is one word, so both forms count), and with OCR slips in cue
    words mended (``mend_ocr``)."""
    folded = fold(text)
    split = _CAMEL.sub(" ", text)
    forms = [folded] if split == text else [folded, fold(split)]
    mended = mend_ocr(forms[-1])
    if mended not in forms:
        forms.append(mended)
    return tuple(forms)


@lru_cache(maxsize=8192)
def roles(text: str) -> frozenset[str]:
    """Every role whose cue occurs in ``text``."""
    return frozenset(cue.role for cue in _matches(text))


def find(role: str, text: str) -> re.Match[str] | None:
    """The first cue of ``role`` in ``fold(text)`` (positions are positions in ``text``), or None."""
    folded = fold(text)
    index = _index()
    entries = index.always + [e for group in index.by_literal.values() for e in group]
    found = [m for cue, p in entries if cue.role == role and (m := p.search(folded))]
    return min(found, key=lambda m: m.start()) if found else None


def languages(texts: Iterable[str]) -> Counter[str]:
    """How many cue words of each language the texts hold (a cue shared by languages counts for each)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update({cue.lang for cue in _matches(text)})
    return counts
